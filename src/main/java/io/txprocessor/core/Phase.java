package io.txprocessor.core;

/**
 * Where a record is in the engine. A record moves only through {@link TrackedRecord}'s transition methods, which
 * refuse any move not drawn here:
 *
 * <pre>
 * QUEUED ──start──▶ RUNNING ──handler returned──▶ PUBLISHING ──broker acknowledged──▶ FINISHED
 *   │                 │  │                            │  ▲                              ▲
 *   │                 │  │          (exactly-once)    │  └──transaction aborted──┐      │
 *   │                 │  │                            └──broker acknowledged──▶ WRITTEN ──transaction committed
 *   │                 │  └─handler threw an Error──▶ CRASHED
 *   │                 └─drain cancelled it──▶ SUSPENDED
 *   └─partition gone──▶ DROPPED              PUBLISHING or WRITTEN ──drain gave up──▶ ABANDONED
 * </pre>
 *
 * At least once, an acknowledged outcome finishes its record. Exactly once, the outcome is written into the
 * producer's open transaction (WRITTEN) and the record finishes only when that transaction commits, together with
 * the offsets that pass it; an aborted transaction puts its records back to PUBLISHING, to be written again or
 * handed off. Only FINISHED records are ever committed. SUSPENDED, ABANDONED, DROPPED and CRASHED records are handed to the
 * partition's next owner, which processes them again.
 */
public enum Phase {
    /** Arrived, waiting for its lane or a worker: not started, so a drain neither runs nor commits it. */
    QUEUED,
    /** The handler is running (for a value that is not a transaction: its parse, before its dead letter). */
    RUNNING,
    /** The outcome is known; its state event or dead letter is on its way to the broker. */
    PUBLISHING,
    /**
     * Exactly once: the outcome is in the producer's open transaction, not yet visible to {@code read_committed}
     * readers; the record finishes when the transaction commits, with the offsets that pass it.
     */
    WRITTEN,
    /** The broker acknowledged the outcome (exactly once: its transaction committed): the record may be committed. */
    FINISHED,
    /** A drain cancelled the running handler and published SUSPENDED: never committed here. */
    SUSPENDED,
    /**
     * A drain stopped waiting for the broker to acknowledge the outcome, or (exactly once) for its transaction to
     * commit: never committed here.
     */
    ABANDONED,
    /** Its partition went away before it started. */
    DROPPED,
    /**
     * The handler threw a JVM {@code Error} (out of memory, a class missing after a bad deploy): not a business
     * failure, so not finished. It keeps its lane and its partition's commits where they are until the process
     * is replaced.
     */
    CRASHED;

    /** Started and not yet finished or handed off: what a drain waits for. */
    public boolean inFlight() {
        return this == RUNNING || this == PUBLISHING;
    }

    /** Handed to the next owner of the partition: processed again there. */
    public boolean handedOff() {
        return this == SUSPENDED || this == ABANDONED || this == DROPPED || this == CRASHED;
    }
}
