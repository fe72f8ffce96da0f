package io.txprocessor.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.jboss.logging.Logger;

import io.txprocessor.engine.RecordWork.Phase;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.metrics.ProcessorMetrics.Outcome;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.publish.StatePublisher;
import io.txprocessor.transaction.InvalidTransactionException;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionParser;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Runs fetched records through the {@link TransactionHandler} concurrently, one
 * at a time per lane (account, partition, or none), and knows at every moment
 * which records are queued, in flight and finished, per partition: what a drain
 * needs to stop starting, wait, hand off and commit exactly.
 *
 * <p>
 * Threads: {@link #submit} is called by the connector's event-loop thread;
 * handlers run on this engine's worker pool; publish acknowledgements arrive on
 * the producer's I/O thread; assignment and commits happen on the consumer's
 * polling thread; drains call in from the shutdown thread or the polling
 * thread. All state is guarded by {@link #lock}; nothing slow (a handler, a
 * send) runs while holding it, and futures are completed outside it.
 */
@ApplicationScoped
public class ProcessingEngine {

    private static final Logger LOG = Logger.getLogger(ProcessingEngine.class);
    private static final Duration PUBLISH_RETRY = Duration.ofSeconds(1);

    private final TransactionsConfig config;
    private final TransactionHandler handler;
    private final TransactionParser parser;
    private final StatePublisher publisher;
    private final ProcessorMetrics metrics;
    private final String instance;
    private final ExecutorService workers;
    private final ScheduledExecutorService retries;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a record leaves the in-flight phases. */
    private final Condition progress = lock.newCondition();
    private final Map<TopicPartition, PartitionWork> partitions = new HashMap<>();
    private final Map<String, ArrayDeque<RecordWork>> lanes = new HashMap<>();
    /** False once a shutdown drain began: nothing is admitted or started again. */
    private boolean accepting = true;
    /**
     * Completed when there is room again for the record the connector is waiting to
     * hand over.
     */
    private CompletableFuture<Void> room;

    /**
     * The records of one assigned partition that are not finished, and its offsets.
     */
    private static final class PartitionWork {
        final OffsetTracker offsets;
        final Set<RecordWork> unfinished = new LinkedHashSet<>();
        /** Being revoked: its queued records must not start. */
        boolean revoking;
        OffsetAndMetadata lastCommitted;

        PartitionWork(OffsetTracker offsets, OffsetAndMetadata lastCommitted) {
            this.offsets = offsets;
            this.lastCommitted = lastCommitted;
        }
    }

    public ProcessingEngine(TransactionsConfig config, TransactionHandler handler, TransactionParser parser,
            StatePublisher publisher, ProcessorMetrics metrics, InstanceName instance) {
        this.config = config;
        this.handler = handler;
        this.parser = parser;
        this.publisher = publisher;
        this.metrics = metrics;
        this.instance = instance.value();
        AtomicInteger threads = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(config.maxConcurrency(), config.maxConcurrency(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "tx-worker-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.retries = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tx-publish-retry");
            thread.setDaemon(true);
            return thread;
        });
    }

    // ---- assignment (polling thread)
    // ---------------------------------------------------------------------

    /**
     * A partition was assigned, starting at {@code committed} (null: nothing
     * committed yet, start at 0).
     */
    public void assigned(TopicPartition partition, OffsetAndMetadata committed, long position) {
        long start = committed == null ? position : committed.offset();
        OffsetMetadata previous = committed == null
                ? OffsetMetadata.empty()
                : OffsetMetadata.decode(committed.metadata(), committed.offset());
        lock.lock();
        try {
            partitions.put(partition, new PartitionWork(new OffsetTracker(start, previous), committed));
        } finally {
            lock.unlock();
        }
        LOG.debugf("assigned %s at %d (%d finished ahead)", partition, start, previous.finished().size());
    }

    // ---- intake (connector thread)
    // -----------------------------------------------------------------------

    /**
     * Takes one fetched record. The returned stage completes when the engine has
     * room for the next one: that is the back-pressure that makes the connector
     * pause fetching. After a shutdown drain began it never completes, so the
     * connector asks for nothing more (and cannot resume a paused partition on its
     * own).
     */
    public CompletionStage<Void> submit(ConsumerRecord<byte[], byte[]> record) {
        Transaction transaction = null;
        InvalidTransactionException invalid = null;
        try {
            transaction = parser.parse(record.value());
        } catch (InvalidTransactionException e) {
            invalid = e;
        }
        RecordWork work = new RecordWork(record, transaction, invalid, laneOf(record, transaction));
        RecordWork toStart = null;
        lock.lock();
        try {
            if (!accepting) {
                return new CompletableFuture<>();
            }
            PartitionWork partition = partitions.get(work.partition);
            if (partition == null || partition.revoking) {
                // Fetched before its partition was revoked: the next owner has it.
                return CompletableFuture.completedFuture(null);
            }
            switch (partition.offsets.arrive(record.offset())) {
                case DUPLICATE :
                    return CompletableFuture.completedFuture(null);
                case ALREADY_FINISHED :
                    LOG.debugf("skipping %s: finished by a previous owner", work);
                    return CompletableFuture.completedFuture(null);
                case NEW :
                    break;
            }
            partition.unfinished.add(work);
            if (work.lane == null) {
                toStart = work;
            } else {
                ArrayDeque<RecordWork> lane = lanes.computeIfAbsent(work.lane, key -> new ArrayDeque<>());
                lane.addLast(work);
                if (lane.size() == 1) {
                    toStart = work;
                }
            }
            if (window() < config.maxPendingRecords()) {
                return CompletableFuture.completedFuture(null);
            }
            if (room == null) {
                room = new CompletableFuture<>();
            }
            return room;
        } finally {
            lock.unlock();
            if (toStart != null) {
                dispatch(toStart);
            }
        }
    }

    private String laneOf(ConsumerRecord<byte[], byte[]> record, Transaction transaction) {
        if (transaction == null) {
            return null; // a dead letter touches no account
        }
        return switch (config.ordering()) {
            case KEY -> "a:" + transaction.account();
            case PARTITION -> "p:" + record.topic() + "-" + record.partition();
            case UNORDERED -> null;
        };
    }

    private void dispatch(RecordWork work) {
        workers.execute(() -> run(work));
    }

    // ---- processing (worker threads)
    // ---------------------------------------------------------------------

    private void run(RecordWork work) {
        lock.lock();
        try {
            PartitionWork partition = partitions.get(work.partition);
            if (work.phase != Phase.QUEUED || !accepting || partition == null || partition.revoking) {
                return; // not started: a drain leaves it uncommitted for the next owner
            }
            // A dead letter has no handler to run: it goes straight to publishing, with no thread to interrupt.
            work.phase = work.invalid != null ? Phase.PUBLISHING : Phase.RUNNING;
            work.worker = work.invalid != null ? null : Thread.currentThread();
            work.holdsLane = work.lane != null;
            work.startedNanos = System.nanoTime();
            work.startedAt = Instant.now();
            partition.offsets.started(work.offset());
            if (partition.offsets.wasStartedBefore(work.offset())) {
                metrics.redelivered();
            }
            metrics.started();
        } finally {
            lock.unlock();
        }
        if (work.invalid != null) {
            publishOutcome(work);
            return;
        }
        String failure = invokeHandler(work);
        RecordWork next = null;
        lock.lock();
        try {
            work.worker = null;
            if (work.isCancelled()) {
                // The interrupt was ours, sent to stop this handler; the pool thread must not
                // carry it on.
                Thread.interrupted();
            }
            next = releaseLane(work);
            if (work.phase != Phase.RUNNING) {
                return; // handed off by a drain while the handler ran: its result is not ours to report
            }
            work.outcome = event(work, failure == null ? State.COMPLETED : State.FAILED, failure);
            work.phase = Phase.PUBLISHING;
        } finally {
            lock.unlock();
            if (next != null) {
                dispatch(next);
            }
        }
        publishOutcome(work);
    }

    /**
     * Runs the handler; returns null when it completed, else the reason it failed.
     */
    private String invokeHandler(RecordWork work) {
        try {
            handler.handle(work.transaction, work);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        } catch (Throwable e) {
            // An Error must not leave the record RUNNING for ever, holding its lane and its partition's commits.
            LOG.errorf(e, "handler crashed on %s", work);
            return e.toString();
        } finally {
            metrics.handled(Duration.ofNanos(System.nanoTime() - work.startedNanos));
        }
    }

    /**
     * Publishes the state event (or the dead letter); the record is finished when
     * the broker has it.
     */
    private void publishOutcome(RecordWork work) {
        CompletableFuture<Void> acked = work.invalid != null
                ? publisher.deadLetter(work.record, work.invalid.reason(), work.invalid.getMessage(),
                        work.omitValue)
                : publisher.publish(work.outcome);
        acked.whenComplete((ignored, error) -> {
            if (error == null) {
                finished(work);
            } else {
                publishFailed(work, error);
            }
        });
    }

    private void publishFailed(RecordWork work, Throwable error) {
        lock.lock();
        try {
            if (work.phase != Phase.PUBLISHING) {
                return;
            }
            if (work.invalid != null && !work.omitValue && rootCause(error) instanceof RecordTooLargeException) {
                // Retrying the same record would fail forever and hold the partition's commits back.
                LOG.warnf("dead letter %s too large for the broker; forwarding it without its value", work);
                work.omitValue = true;
            }
        } finally {
            lock.unlock();
        }
        // The record stays unfinished, so nothing past it is committed; try again until
        // the broker takes it or a
        // drain hands it off.
        LOG.warnf("could not publish the outcome of %s, retrying in %s: %s", work, PUBLISH_RETRY, error);
        retries.schedule(() -> {
            if (stillPublishing(work)) {
                publishOutcome(work);
            }
        }, PUBLISH_RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private boolean stillPublishing(RecordWork work) {
        lock.lock();
        try {
            return work.phase == Phase.PUBLISHING;
        } finally {
            lock.unlock();
        }
    }

    private void finished(RecordWork work) {
        CompletableFuture<Void> wakeConnector;
        lock.lock();
        try {
            if (work.phase != Phase.PUBLISHING) {
                return; // handed off meanwhile: the SUSPENDED event stands and nothing is committed
            }
            work.phase = Phase.FINISHED;
            leaveInFlight();
            PartitionWork partition = partitions.get(work.partition);
            if (partition == null) {
                return; // released meanwhile: its new owner decides about this record
            }
            partition.unfinished.remove(work);
            partition.offsets.finished(work.offset());
            wakeConnector = wakeIfRoom();
        } finally {
            lock.unlock();
        }
        Outcome outcome = work.invalid != null
                ? Outcome.DEAD_LETTERED
                : work.outcome.state() == State.COMPLETED ? Outcome.COMPLETED : Outcome.FAILED;
        metrics.processed(outcome, 1);
        if (wakeConnector != null) {
            wakeConnector.complete(null);
        }
    }

    /**
     * With the lock held: frees the lane of a record whose handler returned;
     * returns the next one to start.
     */
    private RecordWork releaseLane(RecordWork work) {
        if (!work.holdsLane) {
            return null;
        }
        work.holdsLane = false;
        ArrayDeque<RecordWork> lane = lanes.get(work.lane);
        lane.remove(work);
        return nextInLane(lane, work.lane);
    }

    private RecordWork nextInLane(ArrayDeque<RecordWork> lane, String key) {
        while (!lane.isEmpty() && lane.peekFirst().phase != Phase.QUEUED && !lane.peekFirst().holdsLane) {
            lane.pollFirst();
        }
        if (lane.isEmpty()) {
            lanes.remove(key);
            return null;
        }
        RecordWork head = lane.peekFirst();
        return head.phase == Phase.QUEUED ? head : null;
    }

    /**
     * With the lock held: the offsets the engine holds, from each partition's first unfinished record to the last
     * fetched one. Bounded by max-pending-records, it bounds both memory and the finished offsets a commit must
     * carry, even behind a record that never finishes.
     */
    private int window() {
        int window = 0;
        for (PartitionWork partition : partitions.values()) {
            window += partition.offsets.span();
        }
        return window;
    }

    /** With the lock held: the connector's wake-up, if it waits and there is room again. */
    private CompletableFuture<Void> wakeIfRoom() {
        if (room != null && accepting && window() < config.maxPendingRecords()) {
            CompletableFuture<Void> wake = room;
            room = null;
            return wake;
        }
        return null;
    }

    private void leaveInFlight() {
        metrics.stopped();
        progress.signalAll();
    }

    private StateEvent event(RecordWork work, State state, String reason) {
        ConsumerRecord<byte[], byte[]> record = work.record;
        return new StateEvent(work.transaction.id(), work.transaction.account(), state, reason, record.topic(),
                record.partition(), record.offset(), instance, Instant.now(), work.startedAt);
    }

    // ---- drains (shutdown thread, polling thread)
    // --------------------------------------------------------

    /**
     * Shutdown: from now on nothing is admitted or started; queued records stay unstarted and uncommitted.
     *
     * @return the records in flight at this moment, for the drain report
     */
    public int stopStarting() {
        lock.lock();
        try {
            accepting = false;
            room = null; // the connector waits on it forever: it must not ask for more
            return inFlightIn(partition -> true).size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Revocation: the queued records of these partitions must not start.
     *
     * @return their records in flight at this moment, for the drain report
     */
    public int stopStarting(Collection<TopicPartition> revoked) {
        lock.lock();
        try {
            for (TopicPartition partition : revoked) {
                PartitionWork work = partitions.get(partition);
                if (work != null) {
                    work.revoking = true;
                }
            }
            return inFlightIn(revoked::contains).size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The number of records in flight (handler running or outcome being published)
     * in the scope.
     */
    public int inFlight(Predicate<TopicPartition> scope) {
        lock.lock();
        try {
            return inFlightIn(scope).size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until no record of the scope is in flight, or the deadline passes.
     *
     * @return true if none is left in flight
     */
    public boolean awaitInFlight(Predicate<TopicPartition> scope, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!inFlightIn(scope).isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                progress.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives up on the records of the scope whose handler is still running: cancels them (flag and interrupt) and
     * returns their SUSPENDED events, for the caller to publish. They stay unfinished, so no commit passes them.
     * Records whose handler has returned are left to finish: their outcome is on its way to the broker.
     */
    public List<StateEvent> suspendRunning(Predicate<TopicPartition> scope, String reason) {
        List<StateEvent> suspended = new ArrayList<>();
        lock.lock();
        try {
            for (RecordWork work : inFlightIn(scope)) {
                if (work.phase == Phase.RUNNING) {
                    work.phase = Phase.SUSPENDED;
                    work.cancel();
                    leaveInFlight();
                    // The lane stays held until the handler actually returns (see run()).
                    suspended.add(event(work, State.SUSPENDED, reason));
                }
            }
        } finally {
            lock.unlock();
        }
        return suspended;
    }

    /**
     * Gives up on the records of the scope whose outcome (state event or dead letter) the broker has not
     * acknowledged: they are not finished, so no commit passes them, and their next owner processes them again.
     * Returns those outcomes, for the caller to log: whether the broker got them is unknown.
     */
    public List<String> abandonUnconfirmed(Predicate<TopicPartition> scope) {
        List<String> abandoned = new ArrayList<>();
        List<RecordWork> toStart = new ArrayList<>();
        lock.lock();
        try {
            for (RecordWork work : inFlightIn(scope)) {
                work.phase = Phase.SUSPENDED;
                leaveInFlight();
                RecordWork next = releaseLane(work);
                if (next != null) {
                    toStart.add(next);
                }
                abandoned.add(work.outcome != null
                        ? work.outcome.toString()
                        : "dead letter of " + work + " (" + work.invalid.reason() + ")");
            }
        } finally {
            lock.unlock();
        }
        toStart.forEach(this::dispatch);
        return abandoned;
    }

    /**
     * The offsets to commit for the partitions in scope that are still assigned: up
     * to the first unfinished.
     */
    public Map<TopicPartition, OffsetAndMetadata> commitOffsets(Predicate<TopicPartition> scope, boolean onlyChanged) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        lock.lock();
        try {
            partitions.forEach((partition, work) -> {
                if (scope.test(partition)) {
                    OffsetAndMetadata commit = work.offsets.commit();
                    if (!onlyChanged || !commit.equals(work.lastCommitted)) {
                        offsets.put(partition, commit);
                    }
                }
            });
        } finally {
            lock.unlock();
        }
        return offsets;
    }

    /**
     * Remembers what the broker accepted, so unchanged partitions are not committed
     * again.
     */
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        lock.lock();
        try {
            offsets.forEach((partition, commit) -> {
                PartitionWork work = partitions.get(partition);
                if (work != null) {
                    work.lastCommitted = commit;
                }
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets revoked or lost partitions; their queued records are dropped, to be
     * fetched by the next owner.
     */
    public void release(Collection<TopicPartition> gone) {
        List<RecordWork> toStart = new ArrayList<>();
        CompletableFuture<Void> wakeConnector;
        lock.lock();
        try {
            for (TopicPartition partition : gone) {
                PartitionWork work = partitions.remove(partition);
                if (work == null) {
                    continue;
                }
                for (RecordWork record : work.unfinished) {
                    if (record.phase == Phase.QUEUED) {
                        record.phase = Phase.DROPPED;
                    }
                }
            }
            for (Map.Entry<String, ArrayDeque<RecordWork>> lane : new ArrayList<>(lanes.entrySet())) {
                RecordWork next = nextInLane(lane.getValue(), lane.getKey());
                if (next != null && next.phase == Phase.QUEUED) {
                    toStart.add(next);
                }
            }
            wakeConnector = wakeIfRoom();
        } finally {
            lock.unlock();
        }
        toStart.forEach(this::dispatch);
        if (wakeConnector != null) {
            wakeConnector.complete(null);
        }
    }

    public Set<TopicPartition> assignedPartitions() {
        lock.lock();
        try {
            return Set.copyOf(partitions.keySet());
        } finally {
            lock.unlock();
        }
    }

    private List<RecordWork> inFlightIn(Predicate<TopicPartition> scope) {
        List<RecordWork> found = new ArrayList<>();
        partitions.forEach((partition, work) -> {
            if (scope.test(partition)) {
                for (RecordWork record : work.unfinished) {
                    if (record.inFlight()) {
                        found.add(record);
                    }
                }
            }
        });
        return found;
    }

    @PreDestroy
    void close() {
        // Workers are daemon threads: a handler that ignores cancellation cannot hold
        // the exit.
        workers.shutdownNow();
        retries.shutdownNow();
    }
}
