package io.txprocessor.core;

import java.util.ArrayList;
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
 * of an earlier assignment never touches a later one's offsets ({@link #staleOutcomes()}), and a record fetched in
 * one never lands in a later one ({@link Arrival#STALE}); no record starts further than {@code maxSpan} offsets past
 * its partition's first unfinished one, so the commit metadata carries every finished offset and a hand-off repeats
 * no finished work ({@link OffsetMetadata#MAX_SPAN}); every arrived record ends finished, handed off, or still
 * held.
 *
 * <p>
 * Not thread-safe: every call must hold the owner's one lock.
 */
public final class EngineCore<R extends TrackedRecord> {

    private final long maxPendingOffsets;
    private final long maxPendingBytes;
    private final int maxSpan;
    private final Partitions<R> partitions = new Partitions<>();
    private final Lanes<R> lanes = new Lanes<>();
    private final HandOffs<R> handOffs = new HandOffs<>(partitions, lanes, this::mayStartOrHoldBack);
    /** Held-back records that may start now: the caller takes them ({@link #takeStartable()}) and dispatches them. */
    private final List<R> startable = new ArrayList<>();
    private boolean accepting = true;
    private long staleOutcomes;
    /** Exactly once: the number of the producer's open transaction; each commit or abort begins the next. */
    private long transaction = 1;

    /**
     * @param maxPendingOffsets the window in offsets: above it there is no room
     * @param maxPendingBytes the window in bytes of held records: above it there is no room
     */
    public EngineCore(long maxPendingOffsets, long maxPendingBytes) {
        this(maxPendingOffsets, maxPendingBytes, OffsetMetadata.MAX_SPAN);
    }

    /**
     * Visible for testing: with a narrower span than the commit metadata allows, so that short sequences reach it.
     *
     * @param maxSpan no record starts this many offsets or more past its partition's first unfinished one
     */
    public EngineCore(long maxPendingOffsets, long maxPendingBytes, int maxSpan) {
        if (maxSpan < 1 || maxSpan > OffsetMetadata.MAX_SPAN) {
            throw new IllegalArgumentException("maxSpan " + maxSpan + " not in 1.." + OffsetMetadata.MAX_SPAN);
        }
        this.maxPendingOffsets = maxPendingOffsets;
        this.maxPendingBytes = maxPendingBytes;
        this.maxSpan = maxSpan;
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
        mayStartOrHoldBack(record);
        return Arrival.NEW;
    }

    /**
     * True when the record may start now: its lane is free, its partition still ours, no shutdown, and it is less
     * than the widest span the commit metadata carries past its partition's first unfinished record.
     */
    public boolean mayStart(R record) {
        PartitionState<R> partition = partitions.current(record);
        return mayStartButForSpan(record, partition) && withinSpan(record, partition);
    }

    private boolean mayStartButForSpan(R record, PartitionState<R> partition) {
        return accepting && record.phase() == Phase.QUEUED && partition != null && !partition.revoking
                && lanes.mayStart(record);
    }

    private boolean withinSpan(R record, PartitionState<R> partition) {
        return record.offset() < partition.offsets.commitOffset() + maxSpan;
    }

    /**
     * As {@link #mayStart}; a record that may not start only because it is too far ahead is held back, to start
     * when its partition's first unfinished record finishes ({@link #takeStartable()}).
     */
    private boolean mayStartOrHoldBack(R record) {
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
    private void releaseHeldBack(PartitionState<R> partition) {
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

    /**
     * Records held back for their distance from the first unfinished one that may start now, since a record
     * finished: the caller dispatches them, as those {@link #handlerReturned} returns. Empties the list.
     */
    public List<R> takeStartable() {
        List<R> taken = List.copyOf(startable);
        startable.clear();
        return taken;
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
        return record.lane() == null ? null : startableNext(lanes.next(record.lane()));
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
        releaseHeldBack(partition);
        return true;
    }

    /**
     * Exactly once: the number of the producer's open transaction. An outcome is tagged with it when it is sent, and
     * its acknowledgement counts only for that transaction ({@link #written}).
     */
    public long transaction() {
        return transaction;
    }

    /**
     * Exactly once: the broker acknowledged the record's outcome, sent into producer transaction {@code sentIn}. When
     * that is the open transaction, the outcome is in it (PUBLISHING → WRITTEN) and the record finishes when it
     * commits ({@link #transactionCommitted}): true. False when a drain handed the record off, its assignment ended
     * (counted in {@link #staleOutcomes()}), or the transaction it was sent in has ended since: then it was aborted
     * (a commit waits for every send of its transaction), the record is still PUBLISHING, and its outcome must be sent
     * again. Booking never depends on the order in which the producer reports acknowledgements and aborts.
     */
    public boolean written(R record, long sentIn) {
        if (partitions.current(record) == null) {
            staleOutcomes++;
            return false;
        }
        if (record.phase() != Phase.PUBLISHING || sentIn != transaction) {
            return false;
        }
        record.written();
        return true;
    }

    /**
     * The offsets a producer transaction commits for the assigned partitions of the scope: as {@link #commitOffsets},
     * counting every WRITTEN record as finished, since the transaction makes its outcome and these offsets visible
     * together or not at all. With {@code hasSends}, every assigned partition of the scope is in it, changed or not:
     * the broker checks the group's generation (fencing a zombie) only through the offsets of a transaction, so a
     * transaction with sends and no offsets would commit unchecked. Empty then means nothing of the scope is
     * assigned: such a transaction must abort.
     */
    public Map<TopicPartition, OffsetAndMetadata> transactionOffsets(Predicate<TopicPartition> scope,
            boolean onlyChanged, boolean hasSends) {
        return partitions.transactionOffsets(scope, onlyChanged && !hasSends);
    }

    /**
     * Exactly once: true when the open transaction holds an outcome of a partition outside the scope (one assigned
     * after the group metadata that fences the transaction was read). Its offsets cannot be in the transaction, so
     * it must abort: committed, that outcome would be visible with its input offset uncommitted.
     */
    public boolean writtenOutside(Predicate<TopicPartition> scope) {
        return !partitions.held(scope.negate(), Phase.WRITTEN::equals).isEmpty();
    }

    /** The producer transaction committed: every WRITTEN record is FINISHED, and the next one begins. Returns them. */
    public List<R> transactionCommitted() {
        transaction++;
        List<R> written = partitions.held(partition -> true, Phase.WRITTEN::equals);
        Set<PartitionState<R>> moved = new java.util.HashSet<>();
        for (R record : written) {
            PartitionState<R> partition = partitions.current(record);
            record.transactionCommitted();
            partitions.finish(partition, record);
            moved.add(partition);
        }
        moved.forEach(this::releaseHeldBack);
        return written;
    }

    /**
     * The producer transaction aborted: nothing of it is visible, so every WRITTEN record is PUBLISHING again, its
     * outcome to be written into the next transaction or handed off. Returns them.
     */
    public List<R> transactionAborted() {
        transaction++;
        List<R> written = partitions.held(partition -> true, Phase.WRITTEN::equals);
        written.forEach(TrackedRecord::transactionAborted);
        return written;
    }

    /** Outcomes acknowledged after their assignment had ended: they touched nothing. */
    public long staleOutcomes() {
        return staleOutcomes;
    }

    @SuppressWarnings("unchecked")
    private R startableNext(TrackedRecord record) {
        return record != null && mayStartOrHoldBack((R) record) ? (R) record : null;
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
