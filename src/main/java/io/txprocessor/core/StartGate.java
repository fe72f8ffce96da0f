package io.txprocessor.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Which records start, and when. A record starts only when the engine still accepts, it is QUEUED, its partition is
 * still ours and not being revoked, its lane is free, and it is less than {@code maxSpan} offsets past its
 * partition's first unfinished record, so that the commit metadata carries every finished offset
 * ({@link OffsetMetadata#MAX_SPAN}). The gate owns that test, the start itself, the choice of a lane's next record
 * when a handler returns, and the span's hold-back: a record refused for its distance alone waits in its
 * partition's {@link PartitionState#heldBack} until the first unfinished record moves up, then joins the startable
 * list, which the caller empties ({@link EngineCore#takeStartable()}). Not thread-safe: owned by the
 * {@link EngineCore}.
 */
final class StartGate<R extends TrackedRecord> {

    private final Partitions<R> partitions;
    private final Lanes<R> lanes;
    private final Intake<R> intake;
    private final int maxSpan;
    /** Held-back records that may start now: the caller takes them ({@link #takeStartable()}) and dispatches them. */
    private final List<R> startable = new ArrayList<>();

    StartGate(Partitions<R> partitions, Lanes<R> lanes, Intake<R> intake, int maxSpan) {
        if (maxSpan < 1 || maxSpan > OffsetMetadata.MAX_SPAN) {
            throw new IllegalArgumentException("maxSpan " + maxSpan + " not in 1.." + OffsetMetadata.MAX_SPAN);
        }
        this.partitions = partitions;
        this.lanes = lanes;
        this.intake = intake;
        this.maxSpan = maxSpan;
    }

    /** {@link EngineCore#mayStart}: true when the record may start now. */
    boolean mayStart(R record) {
        PartitionState<R> partition = partitions.current(record);
        return mayStartButForSpan(record, partition) && withinSpan(record, partition);
    }

    private boolean mayStartButForSpan(R record, PartitionState<R> partition) {
        return intake.accepting() && record.phase() == Phase.QUEUED && partition != null && !partition.revoking
                && lanes.mayStart(record);
    }

    private boolean withinSpan(R record, PartitionState<R> partition) {
        return record.offset() < partition.offsets.commitOffset() + maxSpan;
    }

    /** {@link EngineCore#start}: QUEUED → RUNNING when the record may start now, booked as started in its offsets. */
    boolean start(R record) {
        if (!mayStart(record)) {
            return false;
        }
        record.start();
        partitions.current(record).offsets.started(record.offset());
        return true;
    }

    /**
     * After the handler of {@code returned} returned: the record to start next in its lane, or null (it has no lane,
     * the lane is empty or still taken, or its head may not start now, held back perhaps).
     */
    R nextInLane(R returned) {
        if (returned.lane() == null) {
            return null;
        }
        R next = lanes.next(returned.lane());
        return next != null && mayStartOrHoldBack(next) ? next : null;
    }

    /**
     * As {@link #mayStart}; a record that may not start only because it is too far ahead is held back, to start
     * when its partition's first unfinished record finishes ({@link #takeStartable()}).
     */
    boolean mayStartOrHoldBack(R record) {
        PartitionState<R> partition = partitions.current(record);
        if (!mayStartButForSpan(record, partition)) {
            return false;
        }
        if (withinSpan(record, partition)) {
            return true;
        }
        partition.heldBack.put(record.offset(), record);
        return false;
    }

    /** After the partition's first unfinished record finished: its held-back records now within the span. */
    void releaseHeldBack(PartitionState<R> partition) {
        if (partition.heldBack.isEmpty()) {
            return;
        }
        var within = partition.heldBack.headMap(partition.offsets.commitOffset() + maxSpan, false);
        for (R record : within.values()) {
            if (mayStart(record)) {
                startable.add(record);
            }
            // else: it cannot start now for another reason (a drain, a revocation), and whatever lifts that
            // decides; a lane is never the reason, since only the head of a free lane is ever held back
        }
        within.clear();
    }

    /** {@link EngineCore#takeStartable()}: the held-back records released since the last call. Empties the list. */
    List<R> takeStartable() {
        List<R> taken = List.copyOf(startable);
        startable.clear();
        return taken;
    }
}
