package io.txprocessor.core;

/**
 * What the engine admits from the consumer, and how much: whether an arriving record is held (and why not), the
 * window that tells the consumer to wait (offsets from each partition's first unfinished record to its last arrived
 * one, and bytes of the records held, both counted by {@link Partitions}), and the shutdown's stop, after which
 * nothing is admitted or started again. Not thread-safe: owned by the {@link EngineCore}.
 */
final class Intake<R extends TrackedRecord> {

    private final Partitions<R> partitions;
    private final Lanes<R> lanes;
    private final long maxPendingOffsets;
    private final long maxPendingBytes;
    /** False once a shutdown drain began: from then on nothing is admitted or started. */
    private boolean accepting = true;

    Intake(Partitions<R> partitions, Lanes<R> lanes, long maxPendingOffsets, long maxPendingBytes) {
        this.partitions = partitions;
        this.lanes = lanes;
        this.maxPendingOffsets = maxPendingOffsets;
        this.maxPendingBytes = maxPendingBytes;
    }

    /**
     * {@link EngineCore#arrive}: admits the record when it is new to its partition's current assignment (held,
     * booked in its assignment and its lane), or says why not. Whether it may start is the caller's next question.
     */
    Arrival admit(R record) {
        if (!accepting) {
            return Arrival.NOT_ACCEPTING;
        }
        PartitionState<R> partition = partitions.get(record.partition());
        if (partition == null) {
            return Arrival.NOT_ASSIGNED;
        }
        if (partition.revoking) {
            return Arrival.REVOKING;
        }
        if (record.fetchedIn() != TrackedRecord.ANY_ASSIGNMENT && record.fetchedIn() != partition.epoch) {
            return Arrival.STALE;
        }
        switch (partitions.arrive(partition, record.offset())) {
            case DUPLICATE :
                return Arrival.DUPLICATE;
            case ALREADY_FINISHED :
                return Arrival.ALREADY_FINISHED;
            case NEW :
                break;
        }
        record.arrivedIn(partition.epoch);
        partitions.hold(partition, record);
        if (record.lane() != null) {
            lanes.add(record);
        }
        return Arrival.NEW;
    }

    boolean accepting() {
        return accepting;
    }

    /** A shutdown drain began; there is no way back. */
    void stop() {
        accepting = false;
    }

    /** True when the engine holds less than its window in offsets and in bytes, and still accepts. */
    boolean hasRoom() {
        return accepting && partitions.heldOffsets() < maxPendingOffsets
                && partitions.heldBytes() < maxPendingBytes;
    }

    /**
     * True when the engine holds half its window or more, in offsets or in bytes. Exactly once, records leave the
     * window only when their transaction commits: committing from here on keeps the intake from stalling on a full
     * window.
     */
    boolean halfFull() {
        return partitions.heldOffsets() >= maxPendingOffsets / 2 || partitions.heldBytes() >= maxPendingBytes / 2;
    }
}
