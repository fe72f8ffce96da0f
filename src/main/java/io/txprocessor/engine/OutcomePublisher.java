package io.txprocessor.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.txprocessor.core.Phase;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.metrics.ProcessorMetrics.Outcome;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.publish.StatePublisher;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Publishes a record's outcome, its state event or its dead letter; the record is finished when the broker
 * acknowledged it. Threads: any thread publishes; acknowledgements arrive on the producer's I/O thread, which only
 * queues them, and are booked in bulk on {@code tx-acknowledgements}; retries run on {@code tx-publish-retry}.
 *
 * <p>
 * Tells a send error that can never succeed from one worth retrying. The rule: the broker refusing the record
 * itself (too large, invalid) or the event not serializing cannot succeed on retry; every other error (broker
 * down, not enough replicas, topic missing, not authorized) may, once an operator or the cluster fixed it, so the
 * record stays unfinished and is retried, its partition held, visible in
 * {@code transactions_publish_failures_total{kind="retriable"}}.
 */
@Singleton
public class OutcomePublisher {

    /** Dead-letter reason of a transaction whose state event the broker can never take. */
    public static final String UNPUBLISHABLE = "unpublishable-outcome";

    private static final Set<Class<? extends Throwable>> CANNOT_SUCCEED = Set.of(RecordTooLargeException.class,
            RecordBatchTooLargeException.class, InvalidRecordException.class, SerializationException.class,
            JsonProcessingException.class);

    private static final Logger LOG = Logger.getLogger(OutcomePublisher.class);
    private static final Duration PUBLISH_RETRY = Duration.ofSeconds(1);

    private final CoreLock state;
    private final StatePublisher publisher;
    private final ProcessorMetrics metrics;
    private final ScheduledExecutorService retries = Executors
            .newSingleThreadScheduledExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-publish-retry"));
    /** Acknowledged outcomes whose bookkeeping is still to do; any thread adds, {@code tx-acknowledgements} takes. */
    private final Queue<RecordWork> acknowledged = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean bookkeepingScheduled = new AtomicBoolean();
    private final ExecutorService bookkeeping = Executors
            .newSingleThreadExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-acknowledgements"));
    /** Held by one round of bookkeeping at a time, so that a commit can wait for the round under way. */
    private final Object bookkeepingRound = new Object();
    private final boolean exactlyOnce;
    /**
     * Exactly once: one future per outcome sent into the open transaction, completed once its acknowledgement (or
     * failure) is queued for bookkeeping. Added to while the transaction is open to sends, taken by its commit.
     */
    private final Queue<CompletableFuture<Void>> openTransaction = new ConcurrentLinkedQueue<>();
    /** Exactly once: outcomes that came while a commit was underway, for the transaction after it. */
    private final Queue<RecordWork> nextTransaction = new ConcurrentLinkedQueue<>();
    /** Exactly once: outcomes whose send failed; the open transaction must abort, and they go into the next. */
    private final Queue<RecordWork> failedInTransaction = new ConcurrentLinkedQueue<>();

    public OutcomePublisher(CoreLock state, StatePublisher publisher, ProcessorMetrics metrics,
            TransactionsConfig config) {
        this.state = state;
        this.publisher = publisher;
        this.metrics = metrics;
        this.exactlyOnce = config.exactlyOnce();
    }

    /**
     * Publishes the outcome; the record is finished when the broker has it. Exactly once, it goes into the open
     * transaction and finishes when that commits ({@link ExactlyOnceCommits}).
     */
    void publish(RecordWork work) {
        if (exactlyOnce) {
            publishInTransaction(work);
            return;
        }
        send(work).whenComplete((ignored, error) -> {
            if (error == null) {
                acknowledged.add(work);
                scheduleBookkeeping();
            } else {
                publishFailed(work, error);
            }
        });
    }

    private void publishInTransaction(RecordWork work) {
        if (!publisher.tryInTransaction(() -> sendInTransaction(work))) {
            // A commit is underway: the outcome waits for the next transaction instead of the worker.
            nextTransaction.add(work);
            publishWaiting(); // the commit may have ended in between
        }
    }

    /** Exactly once: sends the outcomes that waited for a commit, unless another commit is underway already. */
    void publishWaiting() {
        if (nextTransaction.isEmpty()) {
            return;
        }
        publisher.tryInTransaction(() -> {
            for (RecordWork work = nextTransaction.poll(); work != null; work = nextTransaction.poll()) {
                sendInTransaction(work);
            }
        });
    }

    /** With the transaction open to sends. */
    private void sendInTransaction(RecordWork work) {
        // Checked with the transaction open to sends: a drain that handed the record off (in its own closed
        // transaction) has already decided, and nothing of a handed-off record may ever be committed. The outcome is
        // tagged with this transaction: its acknowledgement counts for no other.
        boolean publishing = state.call(core -> {
            work.sentIn = core.transaction();
            return core.publishing(work);
        });
        if (!publishing) {
            return;
        }
        if (work.undeliverable) {
            acknowledged.add(work); // nothing to send: it finishes with this transaction, as at least once
            scheduleBookkeeping();
            return;
        }
        openTransaction.add(send(work).handle((ignored, error) -> {
            if (error == null) {
                acknowledged.add(work);
                scheduleBookkeeping();
            } else {
                sendFailedInTransaction(work, error);
            }
            return null;
        }));
    }

    /**
     * Exactly once, with the transaction closed to sends: waits until every outcome sent into it is acknowledged or
     * failed, until {@code deadlineNanos}, and books the acknowledgements (PUBLISHING → WRITTEN). Returns true when
     * every one came back; {@link #takeFailedInTransaction()} then says whether all were acknowledged.
     */
    boolean settleOpenTransaction(long deadlineNanos) throws InterruptedException {
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (CompletableFuture<Void> send = openTransaction.poll(); send != null; send = openTransaction.poll()) {
            sent.add(send);
        }
        boolean settled = true;
        for (CompletableFuture<Void> send : sent) {
            try {
                send.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                settled = false;
                break;
            } catch (ExecutionException e) {
                // handle() never completes exceptionally
            }
        }
        finishAcknowledged();
        return settled;
    }

    /** Exactly once: the outcomes whose send failed in the transaction just closed; it cannot commit if any. */
    List<RecordWork> takeFailedInTransaction() {
        List<RecordWork> failed = new ArrayList<>();
        for (RecordWork work = failedInTransaction.poll(); work != null; work = failedInTransaction.poll()) {
            failed.add(work);
        }
        return failed;
    }

    /**
     * Exactly once, once a commit or an abort is over: the outcomes that waited for it, and those of an aborted
     * transaction, go into the next (those still to be published).
     */
    void publishAgain(List<RecordWork> records) {
        records.forEach(this::publish);
        publishWaiting();
    }

    private void sendFailedInTransaction(RecordWork work, Throwable error) {
        boolean itsTransactionEnded = state.call(core -> work.sentIn != core.transaction());
        if (itsTransactionEnded || causedBy(error, TransactionAbortedException.class)) {
            // Cut off by an abort (a loss, a refused commit), not refused by the broker: nothing to count, and no
            // reason for the open transaction to abort. The outcome goes into it, unless a drain handed it off.
            LOG.debugf("the send of %s's outcome ended with its aborted transaction; sending it again", work);
            publishOffTheCallback(work);
            return;
        }
        // The transaction cannot commit now (the producer refuses to, after a failed send): its commit aborts it
        // and sends this outcome, and every other one of it, into the next. An outcome that can never be
        // published becomes a dead letter first, as at least once.
        boolean cannotSucceed = cannotSucceed(error);
        state.call(core -> {
            if (core.publishing(work)) {
                rewriteUnpublishable(work, error, cannotSucceed);
            }
            return null;
        });
        metrics.publishFailed(cannotSucceed);
        LOG.warnf("could not publish the outcome of %s (%s); its transaction aborts and it is sent again", work,
                error.toString());
        failedInTransaction.add(work);
    }

    /**
     * The producer's I/O thread acknowledges a whole batch of records in one burst of callbacks; the bookkeeping
     * of those acknowledgements (the lock, the offsets) happens on {@code tx-acknowledgements}, for everything
     * acknowledged so far under one acquisition of the lock, so the I/O thread only queues.
     */
    private void scheduleBookkeeping() {
        if (bookkeepingScheduled.compareAndSet(false, true)) {
            try {
                bookkeeping.execute(this::finishAcknowledged);
            } catch (RejectedExecutionException e) {
                finishAcknowledged(); // shutting down: do it here
            }
        }
    }

    /** Books every acknowledgement queued so far, on the caller's thread, after any round already under way. */
    void finishAcknowledged() {
        synchronized (bookkeepingRound) {
            bookAcknowledged();
        }
    }

    private void bookAcknowledged() {
        bookkeepingScheduled.set(false); // from now on a new acknowledgement schedules another round
        List<RecordWork> batch = new ArrayList<>();
        for (RecordWork work = acknowledged.poll(); work != null; work = acknowledged.poll()) {
            batch.add(work);
        }
        if (batch.isEmpty()) {
            return;
        }
        Map<Outcome, Integer> finished = new EnumMap<>(Outcome.class);
        CompletableFuture<Void> wake;
        List<RecordWork> toStart;
        List<RecordWork> again = new ArrayList<>();
        state.lock();
        try {
            for (RecordWork work : batch) {
                boolean wasInFlight = work.phase() == Phase.PUBLISHING;
                if (exactlyOnce) {
                    // Finished when its transaction commits. Sent in a transaction that aborted since: sent again.
                    if (!state.core().written(work, work.sentIn) && state.core().publishing(work)) {
                        again.add(work);
                    }
                } else if (state.core().acknowledged(work)) {
                    finished.merge(outcomeOf(work), 1, Integer::sum);
                }
                if (wasInFlight && work.phase() != Phase.PUBLISHING && !exactlyOnce) {
                    metrics.stopped(); // exactly once, a record stays in flight until its transaction commits
                }
            }
            state.signalProgress();
            wake = state.wakeIfRoom();
            toStart = state.takeStartable();
        } finally {
            state.unlock();
        }
        state.dispatch(toStart);
        again.forEach(this::publish);
        finished.forEach(metrics::processed);
        if (wake != null) {
            wake.complete(null);
        }
    }

    static Outcome outcomeOf(RecordWork work) {
        return work.outcome == null
                ? Outcome.DEAD_LETTERED
                : work.outcome.state() == State.COMPLETED ? Outcome.COMPLETED : Outcome.FAILED;
    }

    private void publishFailed(RecordWork work, Throwable error) {
        boolean cannotSucceed = OutcomePublisher.cannotSucceed(error);
        boolean undeliverable = false;
        state.lock();
        try {
            if (!state.core().publishing(work)) {
                return; // handed off meanwhile
            }
            undeliverable = rewriteUnpublishable(work, error, cannotSucceed);
        } finally {
            state.unlock();
        }
        metrics.publishFailed(cannotSucceed);
        if (undeliverable) {
            LOG.errorf("no outcome of %s can be published (%s); it stays in its topic at that offset, and is not "
                    + "retried", work, error);
            acknowledged.add(work);
            scheduleBookkeeping();
        } else if (cannotSucceed) {
            LOG.warnf("the outcome of %s can never be published (%s); dead-lettering the input instead", work, error);
            publishOffTheCallback(work);
        } else {
            retryLater(work, error);
        }
    }

    /**
     * With the lock held, after a failed send: an outcome the broker can never take is rewritten into what it can
     * (the state event into a dead letter of the input, a dead letter into one without its value). Returns true when
     * nothing of it can be published at all.
     */
    private static boolean rewriteUnpublishable(RecordWork work, Throwable error, boolean cannotSucceed) {
        if (cannotSucceed && work.outcome != null) {
            // The broker will never take this state event: the input goes to the dead-letter topic instead,
            // with the error, and counts as finished once that is acknowledged.
            work.deadLetterReason = OutcomePublisher.UNPUBLISHABLE;
            work.deadLetterCause = work.outcome.state() + " event not publishable: " + error;
            work.outcome = null;
        } else if (cannotSucceed && !work.omitValue) {
            work.omitValue = true; // the value plus our headers is more than the broker accepts
        } else if (cannotSucceed) {
            work.undeliverable = true; // not even the bare dead letter: the partition must not stall on it
            return true;
        }
        return false;
    }

    /**
     * Publishes again from {@code tx-publish-retry}, never from the producer's callback: {@code send} can block there
     * (up to {@code max.block.ms}, while a topic's metadata is fetched or the buffer is full) on the very thread that
     * would unblock it, and every acknowledgement and any drain would wait behind it.
     */
    private void publishOffTheCallback(RecordWork work) {
        try {
            retries.execute(() -> {
                if (state.call(core -> core.publishing(work))) {
                    publish(work);
                }
            });
        } catch (RejectedExecutionException e) {
            // Stopping: the record stays unfinished, and its partition's next owner processes it.
        }
    }

    private void retryLater(RecordWork work, Throwable error) {
        // The record stays unfinished, so nothing past it is committed; retried until the broker takes it or a
        // drain hands it off.
        LOG.warnf("could not publish the outcome of %s, retrying in %s: %s", work, PUBLISH_RETRY, error);
        retries.schedule(() -> {
            if (state.call(core -> core.publishing(work))) {
                publish(work);
            }
        }, PUBLISH_RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends the outcome the record carries now; completes when the broker has it. Never throws. */
    private CompletableFuture<Void> send(RecordWork work) {
        try {
            return work.outcome != null
                    ? publisher.publish(work.outcome)
                    : publisher.deadLetter(work.record, work.deadLetterReason, work.deadLetterCause, work.omitValue);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @PreDestroy
    void close() {
        retries.shutdownNow();
        bookkeeping.shutdownNow();
    }

    /** True when sending the same record again can never succeed. */
    static boolean cannotSucceed(Throwable error) {
        return CANNOT_SUCCEED.stream().anyMatch(kind -> causedBy(error, kind));
    }

    private static boolean causedBy(Throwable error, Class<? extends Throwable> kind) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (kind.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
