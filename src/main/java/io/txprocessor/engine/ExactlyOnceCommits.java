package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

import jakarta.inject.Singleton;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.Quarkus;
import io.txprocessor.core.Deadline;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.metrics.ProcessorMetrics.Outcome;
import io.txprocessor.publish.StatePublisher;
import io.txprocessor.publish.StatePublisher.ClosedTransaction;

/**
 * Exactly once: commits or aborts the state producer's open transaction, with the input offsets of exactly the
 * records whose outcome it holds. Drains and losses call it on the consumer's polling thread, with the group
 * metadata the consumer has now; the periodic commit reads that metadata on the polling thread and commits on its
 * own. Commits and aborts take the transaction alone, one at a time.
 *
 * <p>
 * One commit, top to bottom: close the transaction to new sends; wait until every outcome sent into it came back;
 * if all were acknowledged, send the offsets that pass them (with their finished-offset metadata) and the
 * consumer's group metadata to the transaction, and commit it: the broker refuses the offsets of a member whose
 * generation moved on (KIP-447), and then the transaction aborts. Committed: its records are finished. Aborted:
 * nothing of it is visible, and its outcomes are written again into the next transaction unless their partition
 * was handed off meanwhile. A producer fenced by a newer incarnation with the same {@code transactional.id} cannot
 * go on: the service exits with status 1 so that the orchestrator replaces it.
 */
@Singleton
public class ExactlyOnceCommits {

    private static final Logger LOG = Logger.getLogger(ExactlyOnceCommits.class);

    private final CoreLock state;
    private final StatePublisher publisher;
    private final OutcomePublisher outcomes;
    private final ProcessorMetrics metrics;
    /** Ends the service with a status: {@code Quarkus.asyncExit}. */
    private final IntConsumer exit;
    private volatile boolean fenced;

    @jakarta.inject.Inject
    public ExactlyOnceCommits(CoreLock state, StatePublisher publisher, OutcomePublisher outcomes,
            ProcessorMetrics metrics) {
        this(state, publisher, outcomes, metrics, Quarkus::asyncExit);
    }

    /** Visible for testing: with what ends the service instead of Quarkus. */
    ExactlyOnceCommits(CoreLock state, StatePublisher publisher, OutcomePublisher outcomes, ProcessorMetrics metrics,
            IntConsumer exit) {
        this.state = state;
        this.publisher = publisher;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.exit = exit;
    }

    /**
     * What became of one transaction.
     *
     * @param committed true when it committed (or there was nothing to commit)
     * @param offsets the offsets it committed; empty when it aborted
     * @param error why it aborted; null when it committed
     */
    public record Result(boolean committed, Map<TopicPartition, OffsetAndMetadata> offsets, String error) {
    }

    /**
     * Commits the open transaction with the offsets of the consumer's assigned partitions (with {@code allOffsets}
     * every one, else those that changed). {@code whileClosed} runs once the transaction committed or aborted,
     * before any send enters the next: a drain hands off its scope there, so that nothing of it goes into a later
     * transaction.
     */
    public Result commit(Consumer<?, ?> consumer, Deadline deadline, boolean allOffsets, Runnable whileClosed)
            throws InterruptedException {
        return commit(consumer.groupMetadata(), consumer.assignment(), deadline, allOffsets, whileClosed);
    }

    /**
     * As {@link #commit(Consumer, Deadline, boolean, Runnable)}, with the group metadata and the assignment read on
     * the polling thread just before: any thread may call it. Commits and aborts are one at a time.
     */
    public Result commit(ConsumerGroupMetadata group, Set<TopicPartition> assigned, Deadline deadline,
            boolean allOffsets, Runnable whileClosed) throws InterruptedException {
        List<RecordWork> again;
        Result result;
        ClosedTransaction closed = publisher.closeTransaction(deadline.remainingNanos());
        if (closed == null) {
            // Another commit (the timer's) holds the transaction and did not end in time: this one gives up, and the
            // caller hands its scope off all the same. Nothing of a handed-off record is sent into a transaction
            // again; whatever the other commit holds becomes visible with its offsets, or not at all.
            whileClosed.run();
            return new Result(false, Map.of(), "a commit underway still held the transaction at the deadline");
        }
        try (ClosedTransaction open = closed) {
            boolean settled = outcomes.settleOpenTransaction(System.nanoTime() + deadline.remainingNanos());
            List<RecordWork> failed = outcomes.takeFailedInTransaction();
            boolean hasSends = open.hasSends();
            // Fenced by the group metadata read with `assigned`: an outcome of a partition assigned since cannot have
            // its offsets in this transaction; and one with sends must carry offsets, or the broker checks nothing.
            boolean outside = state.call(core -> core.writtenOutside(assigned::contains));
            Map<TopicPartition, OffsetAndMetadata> offsets = state
                    .call(core -> core.transactionOffsets(assigned::contains, !allOffsets, hasSends));
            String refusal = !settled
                    ? "outcomes unacknowledged at the deadline"
                    : !failed.isEmpty()
                            ? failed.size() + " outcome(s) refused by the broker"
                            : outside
                                    ? "it holds outcomes of a partition assigned after its group metadata was read"
                                    : hasSends && offsets.isEmpty()
                                            ? "it has sends and no assigned partition whose offsets fence it"
                                            : null;
            if (refusal != null) {
                again = abort(open, failed);
                result = new Result(false, Map.of(), refusal);
            } else if (!hasSends && offsets.isEmpty()) {
                again = List.of();
                result = new Result(true, Map.of(), null);
            } else {
                again = List.of();
                result = commit(open, offsets, group, deadline);
                if (!result.committed()) {
                    again = abort(open, List.of());
                }
            }
            whileClosed.run();
        }
        outcomes.publishAgain(again);
        return result;
    }

    /**
     * Aborts the open transaction: partitions were lost, and nothing written for them may become visible.
     * {@code whileClosed} runs before any send enters the next transaction (the loss is handed off there); the
     * other outcomes are written again into the next.
     */
    public void abort(String reason, Runnable whileClosed) {
        List<RecordWork> again;
        try (ClosedTransaction open = publisher.closeTransaction()) {
            again = abort(open, outcomes.takeFailedInTransaction());
            whileClosed.run();
        }
        LOG.infof("transaction aborted: %s; %d outcome(s) of partitions still ours go into the next", reason,
                again.size());
        outcomes.publishAgain(again);
    }

    /** True once a newer incarnation fenced this producer: nothing more can be committed, the service exits. */
    public boolean fenced() {
        return fenced;
    }

    private Result commit(ClosedTransaction open, Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata group, Deadline deadline) {
        try {
            open.sendOffsets(offsets, group);
            commitRetryingTimeouts(open, deadline);
        } catch (CommitOutcomeUnknown e) {
            // Its outcomes may or may not be visible: nothing of it is finished here, nothing is sent again, and the
            // producer cannot be used for anything else. The next owner processes the records again.
            giveUp(e.getCause());
            return new Result(false, Map.of(), e.getMessage());
        } catch (ProducerFencedException | OutOfOrderSequenceException | UnsupportedVersionException
                | AuthorizationException e) {
            giveUp(e);
            return new Result(false, Map.of(), e.toString());
        } catch (KafkaException | IllegalStateException e) {
            // Refused offsets (the generation moved on: a rebalance, a loss, a zombie), a failed send.
            LOG.warnf("transaction not committed, aborting it: %s", e.toString());
            return new Result(false, Map.of(), e.toString());
        }
        Map<Outcome, Integer> finished = new EnumMap<>(Outcome.class);
        CompletableFuture<Void> wake;
        List<RecordWork> toStart;
        state.lock();
        try {
            for (RecordWork work : state.core().transactionCommitted()) {
                finished.merge(OutcomePublisher.outcomeOf(work), 1, Integer::sum);
                metrics.stopped();
            }
            state.core().committed(offsets);
            state.signalProgress();
            wake = state.wakeIfRoom();
            toStart = state.takeStartable();
        } finally {
            state.unlock();
        }
        state.dispatch(toStart);
        finished.forEach(metrics::processed);
        metrics.transaction(true);
        if (wake != null) {
            wake.complete(null);
        }
        return new Result(true, offsets, null);
    }

    /** A commit that timed out until the deadline: whether the broker committed it is not known. */
    private static final class CommitOutcomeUnknown extends Exception {
        CommitOutcomeUnknown(TimeoutException cause) {
            super("the commit timed out until the deadline, its outcome unknown: " + cause, cause);
        }

        @Override
        public synchronized TimeoutException getCause() {
            return (TimeoutException) super.getCause();
        }
    }

    /**
     * Commits, and commits again after a time-out: Kafka allows nothing else then (an abort is refused, since the
     * commit may be completing), and a retry of a commit that did complete succeeds. Until the deadline.
     */
    private static void commitRetryingTimeouts(ClosedTransaction open, Deadline deadline) throws CommitOutcomeUnknown {
        while (true) {
            try {
                open.commitAndBegin();
                return;
            } catch (TimeoutException e) {
                if (deadline.passed()) {
                    throw new CommitOutcomeUnknown(e);
                }
                LOG.warnf("the transaction's commit timed out (%s); committing again", e.getMessage());
            }
        }
    }

    /** Aborts; returns the outcomes to write again (those of records still publishing when it is their turn). */
    private List<RecordWork> abort(ClosedTransaction open, List<RecordWork> failed) {
        try {
            open.abort();
        } catch (KafkaException | IllegalStateException e) {
            giveUp(e);
        }
        metrics.transaction(false);
        // The producer ends an aborted transaction only once every send of it came back, acknowledged or failed
        // (an abort after a deadline leaves some underway): book those now, so that each of its outcomes is WRITTEN
        // or failed before the ones WRITTEN are put back. One booked later would be finished by the next commit
        // with its outcome aborted: lost.
        outcomes.finishAcknowledged();
        List<RecordWork> again = new ArrayList<>(failed);
        again.addAll(outcomes.takeFailedInTransaction());
        state.lock();
        try {
            again.addAll(state.core().transactionAborted());
            state.signalProgress();
        } finally {
            state.unlock();
        }
        return again;
    }

    private void giveUp(RuntimeException e) {
        if (!fenced) {
            fenced = true;
            LOG.errorf("the state producer cannot go on (%s): another instance with the same transactional.id "
                    + "took over, the broker refuses it, or a commit's outcome stayed unknown; exiting with status 1",
                    e.toString());
            exit.accept(1);
        }
    }
}
