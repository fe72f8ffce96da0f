package io.txprocessor.drain;

/** What started a drain: the {@code trigger} tag of the drain metrics and report, and the SUSPENDED reason. */
public enum Trigger {
    /** SIGTERM: every partition. */
    SHUTDOWN("shutdown"),
    /** A rebalance revoked some partitions. */
    REBALANCE("rebalance"),
    /** The group moved on without us (session timeout): nothing is waited for or committed. */
    PARTITIONS_LOST("partitions-lost");

    private final String tag;

    Trigger(String tag) {
        this.tag = tag;
    }

    /** The tag value, also the reason of the SUSPENDED events and the trigger of the drain report. */
    public String tag() {
        return tag;
    }
}
