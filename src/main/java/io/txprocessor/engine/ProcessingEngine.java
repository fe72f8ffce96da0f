package io.txprocessor.engine;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import io.txprocessor.core.Arrival;
import io.txprocessor.core.EngineCore;
import io.txprocessor.core.Phase;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.transaction.InvalidTransactionException;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionParser;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Takes fetched records in and carries each through its handler to the publishing of its outcome, as the
 * {@link EngineCore} decides: intake and back-pressure, then the workers. Assignments and drains see the engine
 * through {@link PartitionWork}.
 *
 * <p>
 * Threads: {@link #submit} runs on the connector's event loop; handlers on this engine's worker pool; outcomes go
 * out through the {@link Delivery}, whose acknowledgements come back on its own threads. All state is the
 * {@link CoreLock}'s.
 */
@ApplicationScoped
public class ProcessingEngine {

    private static final EngineLog LOG = EngineLog.of(ProcessingEngine.class);

    private final CoreLock lock;
    private final TransactionsConfig config;
    private final TransactionHandler handler;
    private final TransactionParser parser;
    private final Delivery delivery;
    private final ProcessorMetrics metrics;
    private final String instance;
    private final Workers workers;
    /** Set once a handler threw a JVM Error: liveness turns DOWN so the orchestrator replaces the process. */
    private volatile boolean crashed;

    public ProcessingEngine(CoreLock lock, TransactionsConfig config, TransactionHandler handler,
            TransactionParser parser, Delivery delivery, ProcessorMetrics metrics, InstanceName instance) {
        this.lock = lock;
        this.config = config;
        this.handler = handler;
        this.parser = parser;
        this.delivery = delivery;
        this.metrics = metrics;
        this.instance = instance.value();
        this.workers = new Workers(config.work().maxConcurrency(), this::run);
        lock.dispatchWith(workers::dispatch);
    }

    static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /** True once a handler threw a JVM {@code Error}: the process should be replaced. */
    public boolean crashed() {
        return crashed;
    }

    // ---- intake (connector thread)

    /**
     * Takes the records of one poll, under one acquisition of the lock; they are parsed later, on the workers. The
     * returned stage completes when the engine has room for the next batch: that is the back-pressure that makes
     * the connector pause fetching. After a shutdown drain began it never completes, so the connector asks for
     * nothing more (and cannot resume a paused partition on its own).
     */
    public CompletionStage<Void> submit(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        List<RecordWork> toStart = new ArrayList<>();
        boolean halfFull = false;
        lock.lock();
        try {
            EngineCore<RecordWork> core = lock.core();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                RecordWork work = new RecordWork(record, laneOf(record), FetchStamp.take(record));
                Arrival arrival = core.arrive(work);
                if (arrival == Arrival.NOT_ACCEPTING) {
                    return new CompletableFuture<>(); // never completes: the connector must not ask for more
                }
                if (arrival == Arrival.NEW && core.mayStart(work)) {
                    toStart.add(work);
                } else if (arrival != Arrival.NEW) {
                    LOG.debugf("not processing %s: %s", work, arrival);
                }
            }
            halfFull = core.halfFull();
            return core.hasRoom() ? CompletableFuture.completedFuture(null) : lock.waitForRoom();
        } finally {
            lock.unlock();
            workers.dispatch(toStart);
            if (halfFull) {
                delivery.windowHalfFull();
            }
        }
    }

    /**
     * Which records run one at a time: with {@code key} ordering those of one record key, the account id by the
     * input contract (a record without a key shares its partition's lane); with {@code partition}, those of one
     * partition.
     */
    private String laneOf(ConsumerRecord<byte[], byte[]> record) {
        return switch (config.work().ordering()) {
            case KEY -> record.key() == null
                    ? "p:" + record.topic() + "-" + record.partition()
                    : "k:" + new String(record.key(), StandardCharsets.UTF_8);
            case PARTITION -> "p:" + record.topic() + "-" + record.partition();
            case UNORDERED -> null;
        };
    }

    // ---- processing (worker threads)

    /** Runs the record on this worker; returns the next record of its lane, which may start now, or null. */
    private RecordWork run(RecordWork work) {
        // Parsed before the start, outside the lock; kept only if this worker is the one that starts the record.
        Transaction transaction = null;
        InvalidTransactionException invalid = null;
        Error crash = null;
        try {
            transaction = parser.parse(work.record.value());
        } catch (InvalidTransactionException e) {
            invalid = e;
        } catch (Error e) {
            crash = e; // out of memory while parsing, say: the record is left for the next owner, as for a handler
        }
        lock.lock();
        try {
            EngineCore<RecordWork> core = lock.core();
            if (!core.start(work)) {
                return null; // not started: a drain leaves it uncommitted for the next owner
            }
            work.parsed(transaction, invalid);
            work.worker = transaction != null ? Thread.currentThread() : null;
            work.startedNanos = System.nanoTime();
            work.startedAt = Instant.now();
            if (core.wasStartedBefore(work)) {
                metrics.redelivered();
            }
            metrics.started();
        } finally {
            lock.unlock();
        }
        Throwable failure = crash != null ? crash : transaction != null ? invokeHandler(work) : null;
        RecordWork next;
        boolean toPublish;
        lock.lock();
        try {
            work.worker = null;
            if (work.isCancelled()) {
                Thread.interrupted(); // the interrupt was ours, to stop this handler: the pool thread must not keep it
            }
            boolean error = failure instanceof Error;
            next = lock.core().handlerReturned(work, error);
            if (error) {
                crashed = true;
                metrics.handlerCrashed();
                metrics.stopped();
                lock.signalProgress();
            } else if (work.phase() == Phase.PUBLISHING && transaction != null) {
                work.outcome = work.event(failure == null ? State.COMPLETED : State.FAILED,
                        failure == null ? null : reasonOf(failure), instance);
            }
            toPublish = work.phase() == Phase.PUBLISHING;
        } finally {
            lock.unlock();
        }
        if (failure instanceof Error) {
            // Not a business failure: nothing is published or committed, the lane stays blocked, liveness turns
            // DOWN, and the partition's next owner processes the record.
            LOG.handlerCrashed(failure, work);
        } else if (toPublish) {
            delivery.publish(work);
        }
        return next;
    }

    /** Runs the handler; returns null when it completed, else what it threw. */
    private Throwable invokeHandler(RecordWork work) {
        try {
            handler.handle(work.transaction, work);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (Throwable e) {
            return e;
        } finally {
            metrics.handled(Duration.ofNanos(System.nanoTime() - work.startedNanos));
        }
    }

    private static String reasonOf(Throwable failure) {
        if (failure instanceof InterruptedException) {
            return "interrupted";
        }
        return failure.getMessage() == null ? failure.getClass().getName() : failure.getMessage();
    }

    @PreDestroy
    public void close() {
        // Workers are daemon threads: a handler that ignores cancellation cannot hold the exit.
        workers.shutdownNow();
    }
}
