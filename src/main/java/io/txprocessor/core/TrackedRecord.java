package io.txprocessor.core;

import org.apache.kafka.common.TopicPartition;

/**
 * What the {@link EngineCore} knows of one record: where it comes from, which lane it runs in, the assignment it
 * arrived in, and its {@link Phase}. The phase changes only through the methods below, each of which refuses a
 * move that is not legal; the engine's shell extends this class with the record itself and the handler's
 * cancellation.
 *
 * <p>
 * Not thread-safe: guarded by the lock of whoever owns the core.
 */
public class TrackedRecord {

    private final TopicPartition partition;
    private final long offset;
    /** Records with the same lane run one at a time; null runs without waiting for any other. */
    private final String lane;
    /** Bytes held in memory for it (key and value), counted by the window. */
    private final long bytes;
    /**
     * The epoch of its partition's assignment when the consumer fetched it (0: not assigned here then, its start
     * still being looked up), or {@link #ANY_ASSIGNMENT}.
     */
    private final long fetchedIn;

    private Phase phase = Phase.QUEUED;
    /** The assignment it arrived in; 0 until it arrived. */
    private long epoch;
    /** True while its handler runs: the lane is taken, even after a drain suspended the record. */
    private boolean holdsLane;
    /**
     * The assignment that holds it, from its arrival on (null before): {@code Partitions.current} reads it instead
     * of looking the partition up, once or twice per record.
     */
    PartitionState<?> heldBy;
    /** The {@link HeldRecords} list it is in, and its neighbours there; null when it is in none. */
    HeldRecords<?> heldIn;
    TrackedRecord heldBefore;
    TrackedRecord heldAfter;

    /** For {@link #fetchedIn()}: admitted by whatever assignment is current when it arrives. */
    public static final long ANY_ASSIGNMENT = -1;

    /**
     * @param fetchedIn the epoch of the partition's assignment when the consumer fetched the record, as
     *            {@link EngineCore#epochOf} said then (0 when it was not assigned here): a record of an earlier
     *            assignment is {@link Arrival#STALE}
     */
    public TrackedRecord(TopicPartition partition, long offset, String lane, long bytes, long fetchedIn) {
        this.partition = partition;
        this.offset = offset;
        this.lane = lane;
        this.bytes = bytes;
        this.fetchedIn = fetchedIn;
    }

    /** Visible for testing: a record of whatever assignment is current when it arrives (tests of other logic). */
    public TrackedRecord(TopicPartition partition, long offset, String lane, long bytes) {
        this(partition, offset, lane, bytes, ANY_ASSIGNMENT);
    }

    public final TopicPartition partition() {
        return partition;
    }

    public final long offset() {
        return offset;
    }

    public final String lane() {
        return lane;
    }

    public final long bytes() {
        return bytes;
    }

    public final Phase phase() {
        return phase;
    }

    public final long epoch() {
        return epoch;
    }

    public final long fetchedIn() {
        return fetchedIn;
    }

    final boolean holdsLane() {
        return holdsLane;
    }

    final void arrivedIn(long assignmentEpoch) {
        if (epoch != 0) {
            throw new IllegalStateException(this + " arrived twice");
        }
        epoch = assignmentEpoch;
    }

    /** QUEUED → RUNNING (for a value that is not a transaction, "running" is its parse, then its dead letter). */
    final void start() {
        move(Phase.QUEUED, Phase.RUNNING);
        holdsLane = lane != null;
    }

    /**
     * The handler returned: RUNNING → PUBLISHING, or CRASHED. A record a drain suspended meanwhile stays
     * SUSPENDED: its result is not ours to report. Frees the lane, except after a crash.
     */
    final void handlerReturned(boolean crashed) {
        if (phase != Phase.RUNNING && phase != Phase.SUSPENDED) {
            throw illegal("handler returned");
        }
        if (phase == Phase.RUNNING) {
            phase = crashed ? Phase.CRASHED : Phase.PUBLISHING;
        }
        holdsLane = holdsLane && phase == Phase.CRASHED;
    }

    /** PUBLISHING → FINISHED. */
    final void acknowledged() {
        move(Phase.PUBLISHING, Phase.FINISHED);
    }

    /** Exactly once: PUBLISHING → WRITTEN, the outcome is in the open transaction. */
    final void written() {
        move(Phase.PUBLISHING, Phase.WRITTEN);
    }

    /** Exactly once: WRITTEN → FINISHED, its transaction committed. */
    final void transactionCommitted() {
        move(Phase.WRITTEN, Phase.FINISHED);
    }

    /** Exactly once: WRITTEN → PUBLISHING, its transaction aborted: the outcome is to be written again. */
    final void transactionAborted() {
        move(Phase.WRITTEN, Phase.PUBLISHING);
    }

    /** RUNNING → SUSPENDED; the lane stays taken until the handler actually returns. */
    final void suspend() {
        move(Phase.RUNNING, Phase.SUSPENDED);
    }

    /** PUBLISHING (or WRITTEN, once its transaction can no longer commit) → ABANDONED. */
    final void abandon() {
        if (phase != Phase.PUBLISHING && phase != Phase.WRITTEN) {
            throw illegal("abandon");
        }
        phase = Phase.ABANDONED;
    }

    /** A crashed record handed to the partition's next owner: its lane is free again. */
    final void handOffCrashed() {
        if (phase != Phase.CRASHED) {
            throw illegal("hand off a crash");
        }
        holdsLane = false;
    }

    /** QUEUED → DROPPED. */
    final void drop() {
        move(Phase.QUEUED, Phase.DROPPED);
    }

    private void move(Phase from, Phase to) {
        if (phase != from) {
            throw illegal(from + " → " + to);
        }
        phase = to;
    }

    private IllegalStateException illegal(String move) {
        return new IllegalStateException("illegal move " + move + " of " + this + " in phase " + phase);
    }

    @Override
    public String toString() {
        return partition + "@" + offset;
    }
}
