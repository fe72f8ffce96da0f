package io.txprocessor.core;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The engine's state and every decision it takes, with no threads, no clocks, no Kafka client and no CDI: events
 * come in as method calls ({@link #assigned}, {@link #arrive}, {@link #start}, {@link #handlerReturned},
 * {@link #acknowledged}, {@link #revoking}, {@link #lost}, {@link #stopStarting}...), decisions go out as return
 * values (start these records, commit these offsets, these records are handed off, there is room again). The
 * shell ({@code engine.ProcessingEngine}) carries them out on its worker pool, the producer and the polling
 * thread.
 *
 * <p>
 * What it guarantees, and what its tests check over randomized event sequences: nothing is committed past a
 * record that is not finished; a lane never has two handlers running; committed offsets never go down; an outcome
 * of an earlier assignment never touches a later one's offsets ({@link #staleOutcomes()}); every arrived record
 * ends finished, handed off, or still held.
 *
 * <p>
 * Not thread-safe: every call must hold the owner's one lock.
 */
public final class EngineCore<R extends TrackedRecord> {

    private final long maxPendingOffsets;
    private final long maxPendingBytes;
    private final Partitions<R> partitions = new Partitions<>();
    private final Lanes<R> lanes = new Lanes<>();
    private final HandOffs<R> handOffs = new HandOffs<>(partitions, lanes, this::mayStart);
    private boolean accepting = true;
    private long staleOutcomes;

    /**
     * @param maxPendingOffsets the window in offsets: above it there is no room
     * @param maxPendingBytes the window in bytes of held records: above it there is no room
     */
    public EngineCore(long maxPendingOffsets, long maxPendingBytes) {
        this.maxPendingOffsets = maxPendingOffsets;
        this.maxPendingBytes = maxPendingBytes;
    }

    // ---- assignment

    /**
     * A partition was assigned, starting at {@code startOffset}; {@code committed} is what the group had
     * committed (null: nothing). Returns the new assignment's epoch.
     */
    public long assigned(TopicPartition partition, long startOffset, OffsetAndMetadata committed) {
        return partitions.assign(partition, startOffset, committed);
    }

    public boolean isAssigned(TopicPartition partition) {
        return partitions.get(partition) != null;
    }

    public Set<TopicPartition> assignedPartitions() {
        return partitions.keys();
    }

    // ---- intake

    /**
     * A record arrived from the consumer. When the answer is {@link Arrival#NEW} and {@link #mayStart} holds,
     * the caller dispatches it to a worker, which calls {@link #start}.
     */
    public Arrival arrive(R record) {
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

    /** True when the record may start now (its lane is free, its partition still ours, no shutdown). */
    public boolean mayStart(R record) {
        PartitionState<R> partition = partitions.current(record);
        return accepting && record.phase() == Phase.QUEUED && partition != null && !partition.revoking
                && lanes.mayStart(record);
    }

    /** False once a shutdown drain began. */
    public boolean accepting() {
        return accepting;
    }

    /** True when the engine holds less than its window: the consumer may hand over more. */
    public boolean hasRoom() {
        return accepting && partitions.heldOffsets() < maxPendingOffsets
                && partitions.heldBytes() < maxPendingBytes;
    }

    /**
     * True when the engine holds half its window or more. Exactly once, records leave the window only when their
     * transaction commits: committing from here on keeps the intake from stalling on a full window.
     */
    public boolean halfFull() {
        return partitions.heldOffsets() >= maxPendingOffsets / 2 || partitions.heldBytes() >= maxPendingBytes / 2;
    }

    // ---- processing

    /**
     * A worker is about to run the record: QUEUED → RUNNING (PUBLISHING for a dead letter). False when it must
     * not start after all (a drain began, its partition is being revoked or is gone): it stays unstarted and
     * uncommitted.
     */
    public boolean start(R record) {
        if (!mayStart(record)) {
            return false;
        }
        record.start();
        partitions.current(record).offsets.started(record.offset());
        return true;
    }

    /** True when a previous owner had started this record and not finished it: a re-delivery. */
    public boolean wasStartedBefore(R record) {
        PartitionState<R> partition = partitions.current(record);
        return partition != null && partition.offsets.wasStartedBefore(record.offset());
    }

    /**
     * The handler returned (normally, with a business failure, or with a JVM {@code Error}: {@code crashed}).
     * Returns the record to start next in its lane, or null. After it, {@link Phase#PUBLISHING} means the outcome
     * is to be published; anything else means a drain handed the record off meanwhile (or it crashed).
     */
    public R handlerReturned(R record, boolean crashed) {
        record.handlerReturned(crashed);
        return record.lane() == null ? null : startable(lanes.next(record.lane()));
    }

    /** True while the record's outcome is still to be acknowledged: worth publishing (again). */
    public boolean publishing(R record) {
        return record.phase() == Phase.PUBLISHING;
    }

    /**
     * The broker acknowledged the record's outcome. True when that finished it; false when a drain had handed it
     * off meanwhile, or it belongs to an earlier assignment of its partition (counted in {@link #staleOutcomes()}):
     * either way its offsets are not touched.
     */
    public boolean acknowledged(R record) {
        PartitionState<R> partition = partitions.current(record);
        if (partition == null) {
            // Its assignment ended (revoked, lost, perhaps assigned to us again since): the next owner decides.
            staleOutcomes++;
            return false;
        }
        if (record.phase() != Phase.PUBLISHING) {
            return false; // a drain handed it off meanwhile: the SUSPENDED event stands, nothing is committed
        }
        record.acknowledged();
        partitions.finish(partition, record);
        return true;
    }

    /**
     * Exactly once: the broker acknowledged the record's outcome into the open producer transaction (PUBLISHING →
     * WRITTEN); it finishes when that transaction commits ({@link #transactionCommitted}). True when it moved; false
     * as for {@link #acknowledged}.
     */
    public boolean written(R record) {
        if (partitions.current(record) == null) {
            staleOutcomes++;
            return false;
        }
        if (record.phase() != Phase.PUBLISHING) {
            return false;
        }
        record.written();
        return true;
    }

    /**
     * The offsets a producer transaction commits for the assigned partitions of the scope: as {@link #commitOffsets},
     * counting every WRITTEN record as finished, since the transaction makes its outcome and these offsets visible
     * together or not at all.
     */
    public Map<TopicPartition, OffsetAndMetadata> transactionOffsets(Predicate<TopicPartition> scope,
            boolean onlyChanged) {
        return partitions.transactionOffsets(scope, onlyChanged);
    }

    /** The producer transaction committed: every WRITTEN record is FINISHED. Returns them. */
    public List<R> transactionCommitted() {
        List<R> written = partitions.held(partition -> true, Phase.WRITTEN::equals);
        for (R record : written) {
            record.transactionCommitted();
            partitions.finish(partitions.current(record), record);
        }
        return written;
    }

    /**
     * The producer transaction aborted: nothing of it is visible, so every WRITTEN record is PUBLISHING again, its
     * outcome to be written into the next transaction or handed off. Returns them.
     */
    public List<R> transactionAborted() {
        List<R> written = partitions.held(partition -> true, Phase.WRITTEN::equals);
        written.forEach(TrackedRecord::transactionAborted);
        return written;
    }

    /** Outcomes acknowledged after their assignment had ended: they touched nothing. */
    public long staleOutcomes() {
        return staleOutcomes;
    }

    @SuppressWarnings("unchecked")
    private R startable(TrackedRecord record) {
        return record != null && mayStart((R) record) ? (R) record : null;
    }

    // ---- drains

    /** A shutdown drain began: nothing is admitted or started again. Returns the records in flight now. */
    public int stopStarting() {
        accepting = false;
        return inFlight(partition -> true);
    }

    /** These partitions are being revoked: their queued records must not start. Returns their records in flight. */
    public int revoking(Collection<TopicPartition> revoked) {
        handOffs.revoking(revoked);
        return inFlight(revoked::contains);
    }

    /**
     * RUNNING → SUSPENDED for the records of the scope: the caller cancels their handlers and publishes SUSPENDED.
     * Their lanes stay taken until the handlers return.
     */
    public List<R> suspendRunning(Predicate<TopicPartition> scope) {
        return handOffs.suspendRunning(scope);
    }

    /**
     * PUBLISHING → ABANDONED for the records of the scope: whether the broker has their outcome is unknown, they
     * are not finished, and their next owner processes them again.
     */
    public List<R> abandonUnconfirmed(Predicate<TopicPartition> scope) {
        return handOffs.abandonUnconfirmed(scope);
    }

    /**
     * Forgets revoked or lost partitions: queued records are dropped (the next owner fetches them), anything still
     * in flight is handed off now. Returns that, and the records of other partitions whose lane became free.
     */
    public Released<R> release(Collection<TopicPartition> gone) {
        return handOffs.release(gone);
    }

    /**
     * Partitions lost (another member may own them already): running handlers suspended, unacknowledged outcomes
     * abandoned, queued records dropped, nothing committed. The caller cancels and publishes SUSPENDED.
     */
    public Released<R> lost(Collection<TopicPartition> lost) {
        return handOffs.lost(lost);
    }

    /** The records in flight (handler running or outcome unacknowledged) in the scope. */
    public int inFlight(Predicate<TopicPartition> scope) {
        return inFlightIn(scope).size();
    }

    /**
     * Everything below {@code position} of this partition arrived, or never will (transaction markers, aborted
     * records): the commit may move up to it once nothing before it is unfinished.
     */
    public void reachedPosition(TopicPartition partition, long position) {
        partitions.reachedPosition(partition, position);
    }

    /**
     * The offsets to commit for the assigned partitions of the scope: each up to its first unfinished record,
     * with the finished and started ones beyond it in the metadata. With {@code onlyChanged}, partitions whose
     * offsets the broker already has are left out.
     */
    public Map<TopicPartition, OffsetAndMetadata> commitOffsets(Predicate<TopicPartition> scope,
            boolean onlyChanged) {
        return partitions.commitOffsets(scope, onlyChanged);
    }

    /** The broker accepted these offsets (of partitions still assigned). */
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        partitions.committed(offsets);
    }

    // ---- what tests and gauges read

    /** Offsets held over all partitions: what the window counts. */
    public long heldOffsets() {
        return partitions.heldOffsets();
    }

    public long heldBytes() {
        return partitions.heldBytes();
    }

    /** Handlers running in the lane: never more than one. */
    public int runningInLane(String lane) {
        return lanes.running(lane);
    }

    public Iterable<String> lanes() {
        return lanes.keys();
    }

    /** The offset after the last record of the partition that reached the engine; -1 when it is not assigned. */
    public long arrivedUpTo(TopicPartition partition) {
        PartitionState<R> state = partitions.get(partition);
        return state == null ? -1 : state.offsets.nextOffset();
    }

    /** The epoch of the partition's current assignment, or 0 when it is not assigned. */
    public long epochOf(TopicPartition partition) {
        PartitionState<R> state = partitions.get(partition);
        return state == null ? 0 : state.epoch;
    }

    /** Records of the scope the engine holds in the given phase. */
    public List<R> held(Predicate<TopicPartition> scope, Phase phase) {
        return partitions.held(scope, phase::equals);
    }

    private List<R> inFlightIn(Predicate<TopicPartition> scope) {
        return partitions.held(scope, Phase::inFlight);
    }
}
