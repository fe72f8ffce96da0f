package io.txprocessor.drain;

/**
 * The drain's state, exported as the {@code drain_state} gauge; the numbers are
 * stable.
 */
public enum DrainState {
    /**
     * Processing normally (a rebalance drain of some partitions may be under way).
     */
    RUNNING(0),
    /** SIGTERM received: nothing new starts, in-flight records are finishing. */
    DRAINING(1),
    /** The shutdown drain is over; the process is exiting. */
    DRAINED(2);

    private final int value;

    DrainState(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }
}
