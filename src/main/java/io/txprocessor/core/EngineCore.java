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
 * of an earlier assignment never touches a later one's offsets ({@link #staleOutcomes()}), and a record fetched in
 * one never lands in a later one ({@link Arrival#STALE}); no record starts further than {@code maxSpan} offsets past
 * its partition's first unfinished one, so the commit metadata carries every finished offset and a hand-off repeats
 * no finished work ({@link OffsetMetadata#MAX_SPAN}); every arrived record ends finished, handed off, or still
 * held.
 *
 * <p>
 * Each job is a class it delegates to: {@link Intake} (admission, window, stop), {@link StartGate} (which record
 * starts, the span's hold-back), {@link Outcomes} (acknowledgements), {@link TransactionBook} (exactly once: the
 * producer's transaction), {@link HandOffs} (partitions going away), over {@link Partitions} and {@link Lanes}.
 *
 * <p>
 * Not thread-safe: every call must hold the shell's one lock ({@code engine.CoreLock}).
 */
public final class EngineCore<R extends TrackedRecord> {

    private final Partitions<R> partitions = new Partitions<>();
    private final Lanes<R> lanes = new Lanes<>();
    private final Intake<R> intake;
    private final StartGate<R> gate;
    private final HandOffs<R> handOffs;
    private final TransactionBook<R> transactions;
    private final Outcomes<R> outcomes;

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
        this.intake = new Intake<>(partitions, lanes, maxPendingOffsets, maxPendingBytes);
        this.gate = new StartGate<>(partitions, lanes, intake, maxSpan);
        this.handOffs = new HandOffs<>(partitions, lanes, gate::mayStartOrHoldBack);
        this.transactions = new TransactionBook<>(partitions, gate::releaseHeldBack);
        this.outcomes = new Outcomes<>(partitions, gate, transactions);
    }

    // ---- assignment

    /** A partition was assigned from {@code startOffset}, {@code committed} by the group (or null): its epoch. */
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

    /** A record arrived from the consumer; when NEW and {@link #mayStart}, the caller dispatches it to a worker. */
    public Arrival arrive(R record) {
        Arrival arrival = intake.admit(record);
        if (arrival == Arrival.NEW) {
            gate.mayStartOrHoldBack(record);
        }
        return arrival;
    }

    /** True when the record may start now: its lane free, its partition ours, no shutdown, and within the span. */
    public boolean mayStart(R record) {
        return gate.mayStart(record);
    }

    /** Held-back records that may start now, since a record finished: the caller dispatches them. Empties the list. */
    public List<R> takeStartable() {
        return gate.takeStartable();
    }

    /** False once a shutdown drain began. */
    public boolean accepting() {
        return intake.accepting();
    }

    /** True when the engine holds less than its window: the consumer may hand over more. */
    public boolean hasRoom() {
        return intake.hasRoom();
    }

    /** True when the engine holds half its window or more: exactly once, time to commit the transaction. */
    public boolean halfFull() {
        return intake.halfFull();
    }

    // ---- processing

    /** A worker is about to run the record: QUEUED → RUNNING. False when it may not start now: it stays unstarted. */
    public boolean start(R record) {
        return gate.start(record);
    }

    /** True when a previous owner had started this record and not finished it: a re-delivery. */
    public boolean wasStartedBefore(R record) {
        return partitions.wasStartedBefore(record);
    }

    /**
     * The handler returned (normally, with a business failure, or with a JVM {@code Error}: {@code crashed}).
     * Returns the record to start next in its lane, or null. After it, {@link Phase#PUBLISHING} means the outcome
     * is to be published; anything else means a drain handed the record off meanwhile (or it crashed).
     */
    public R handlerReturned(R record, boolean crashed) {
        record.handlerReturned(crashed);
        return gate.nextInLane(record);
    }

    /** True while the record's outcome is still to be acknowledged: worth publishing (again). */
    public boolean publishing(R record) {
        return record.phase() == Phase.PUBLISHING;
    }

    /**
     * The broker acknowledged the record's outcome. True when that finished it; false, touching no offset, when a
     * drain had handed it off meanwhile or its assignment ended since (counted in {@link #staleOutcomes()}).
     */
    public boolean acknowledged(R record) {
        return outcomes.acknowledged(record);
    }

    /** Outcomes acknowledged after their assignment had ended: they touched nothing. */
    public long staleOutcomes() {
        return outcomes.stale();
    }

    // ---- exactly once: the producer's transaction (why each rule holds: see TransactionBook)

    /** The number of the producer's open transaction: an outcome is tagged with it when it is sent. */
    public long producerTransaction() {
        return transactions.transaction();
    }

    /**
     * The broker acknowledged the outcome, sent in transaction {@code sentIn}: true when that is the open one (now
     * WRITTEN, finished when it commits). False when a drain handed the record off, its assignment ended (counted in
     * {@link #staleOutcomes()}), or {@code sentIn} aborted since: still PUBLISHING, its outcome is to be sent again.
     */
    public boolean written(R record, long sentIn) {
        return outcomes.written(record, sentIn);
    }

    /**
     * The offsets the transaction commits for the assigned partitions of the scope: as {@link #commitOffsets},
     * counting WRITTEN records as finished. With {@code hasSends}, every assigned partition of the scope is in it,
     * changed or not, and empty means nothing of the scope is assigned: the transaction must abort.
     */
    public Map<TopicPartition, OffsetAndMetadata> transactionOffsets(Predicate<TopicPartition> scope,
            boolean onlyChanged, boolean hasSends) {
        return transactions.offsets(scope, onlyChanged, hasSends);
    }

    /** True when the open transaction holds an outcome of a partition outside the scope: it must abort. */
    public boolean writtenOutside(Predicate<TopicPartition> scope) {
        return transactions.writtenOutside(scope);
    }

    /** The transaction committed: every WRITTEN record is FINISHED, and the next one begins. Returns them. */
    public List<R> transactionCommitted() {
        return transactions.committed();
    }

    /** The transaction aborted: every WRITTEN record is PUBLISHING again, and the next one begins. Returns them. */
    public List<R> transactionAborted() {
        return transactions.aborted();
    }

    // ---- drains and commits

    /** A shutdown drain began: nothing is admitted or started again. Returns the records in flight now. */
    public int stopStarting() {
        intake.stop();
        return inFlight(partition -> true);
    }

    /** These partitions are being revoked: their queued records must not start. Returns their records in flight. */
    public int revoking(Collection<TopicPartition> revoked) {
        handOffs.revoking(revoked);
        return inFlight(revoked::contains);
    }

    /** RUNNING → SUSPENDED in the scope: the caller cancels their handlers and publishes SUSPENDED. */
    public List<R> suspendRunning(Predicate<TopicPartition> scope) {
        return handOffs.suspendRunning(scope);
    }

    /** PUBLISHING → ABANDONED in the scope: not finished here, their next owner processes them again. */
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
        return partitions.held(scope, Phase::inFlight).size();
    }

    /** Everything below {@code position} of this partition arrived, or never will (markers, aborted records). */
    public void reachedPosition(TopicPartition partition, long position) {
        partitions.reachedPosition(partition, position);
    }

    /**
     * The offsets to commit for the assigned partitions of the scope: each up to its first unfinished record, the
     * finished and started ones beyond it in the metadata; with {@code onlyChanged}, only those the broker lacks.
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
        return partitions.arrivedUpTo(partition);
    }

    /** The epoch of the partition's current assignment, or 0 when it is not assigned. */
    public long epochOf(TopicPartition partition) {
        return partitions.epochOf(partition);
    }

    /** Records of the scope the engine holds in the given phase. */
    public List<R> held(Predicate<TopicPartition> scope, Phase phase) {
        return partitions.held(scope, phase::equals);
    }
}
