package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TransactionAbortedException;

import io.txprocessor.core.Deadline;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.metrics.ProcessorMetrics.Outcome;

/**
 * Exactly once: the state producer's transactions from first send to commit or abort, the order of their steps
 * private to this class. An outcome goes into the open transaction; a commit closes it to new sends, waits until
 * every outcome sent into it came back and books them (PUBLISHING → WRITTEN), then sends the offsets that pass
 * exactly them, with the consumer's group metadata, and commits. The broker refuses the offsets of a member whose
 * generation moved on (KIP-447), and then the transaction aborts: nothing of it is visible, and its outcomes are
 * written again into the next unless their partition was handed off meanwhile. A producer fenced by a newer
 * incarnation with the same {@code transactional.id} cannot go on: the service exits with status 1 so that the
 * orchestrator replaces it.
 *
 * <p>
 * Threads: any thread publishes; acknowledgements are booked on {@code tx-acknowledgements}; commits run on the
 * caller's thread (the commit timer's, or the polling thread's for drains and losses), one at a time
 * ({@link ProducerTransaction}).
 */
final class TransactionLifecycle {

    private static final EngineLog LOG = EngineLog.of(TransactionLifecycle.class);

    private final CoreLock lock;
    private final ProducerTransaction transaction;
    private final ProcessorMetrics metrics;
    private final OutcomeSends sends;
    private final Acknowledgements acknowledgements;
    /** Ends the service with a status: {@code Quarkus.asyncExit}. */
    private final IntConsumer exit;
    /** Outcomes that came while a commit was underway, for the transaction after it. */
    private final WaitingOutcomes nextTransaction = new WaitingOutcomes();
    /** Outcomes whose send failed; the open transaction must abort, and they go into the next. */
    private final Queue<RecordWork> failedInTransaction = new ConcurrentLinkedQueue<>();
    private volatile boolean fenced;

    TransactionLifecycle(CoreLock lock, OutcomeSends sends, ProducerTransaction transaction,
            ProcessorMetrics metrics, IntConsumer exit) {
        this.lock = lock;
        this.sends = sends;
        this.transaction = transaction;
        this.metrics = metrics;
        this.exit = exit;
        this.acknowledgements = new Acknowledgements(lock, metrics, this::book, this::publish);
    }

    /** Any thread: the outcome goes into the open transaction, or waits for the next while a commit is underway. */
    void publish(RecordWork work) {
        if (!transaction.tryInside(() -> sendInTransaction(work))) {
            // A commit is underway: the outcome waits for the next transaction instead of the worker.
            nextTransaction.add(work);
            publishWaiting(); // the commit may have ended in between
        }
    }

    /** Sends the outcomes that waited for a commit, unless another commit is underway already. */
    private void publishWaiting() {
        if (nextTransaction.isEmpty()) {
            return;
        }
        transaction.tryInside(() -> nextTransaction.takeTagged(lock).forEach(this::sendTagged));
    }

    /** With the transaction open to sends. */
    private void sendInTransaction(RecordWork work) {
        // Checked with the transaction open to sends: a drain that handed the record off (in its own closed
        // transaction) has already decided, and nothing of a handed-off record may ever be committed. The outcome is
        // tagged with this transaction: its acknowledgement counts for no other.
        if (lock.call(core -> WaitingOutcomes.tagged(core, work))) {
            sendTagged(work);
        }
    }

    /** With the transaction open to sends, for an outcome tagged with it. */
    private void sendTagged(RecordWork work) {
        if (work.undeliverable) {
            acknowledgements.add(work); // nothing to send: it finishes with this transaction, as at least once
            return;
        }
        transaction.awaitOnClose(sends.send(work).handle((ignored, error) -> {
            if (error == null) {
                acknowledgements.add(work);
            } else {
                sendFailed(work, error);
            }
            return null;
        }));
    }

    /** With the lock held: WRITTEN, finished when its transaction commits; sent again if that one aborted since. */
    private boolean book(RecordWork work, Map<Outcome, Integer> finished) {
        return !lock.core().written(work, work.sentIn) && lock.core().publishing(work);
    }

    private void sendFailed(RecordWork work, Throwable error) {
        boolean itsTransactionEnded = lock.call(core -> work.sentIn != core.producerTransaction());
        if (itsTransactionEnded || PublishFailures.causedBy(error, TransactionAbortedException.class)) {
            // Cut off by an abort (a loss, a refused commit), not refused by the broker: nothing to count, and no
            // reason for the open transaction to abort. The outcome goes into it, unless a drain handed it off.
            LOG.debugf("the send of %s's outcome ended with its aborted transaction; sending it again", work);
            sends.againOffTheCallback(work, this::publish);
            return;
        }
        // The transaction cannot commit now (the producer refuses to, after a failed send): its commit aborts it
        // and sends this outcome, and every other one of it, into the next. An outcome that can never be
        // published becomes a dead letter first, as at least once.
        boolean cannotSucceed = PublishFailures.cannotSucceed(error);
        lock.call(core -> core.publishing(work)
                && PublishFailures.rewriteUnpublishable(work, error, cannotSucceed));
        metrics.publishFailed(cannotSucceed);
        LOG.outcomeNotPublishedInTransaction(work, error.toString());
        failedInTransaction.add(work);
    }

    /** What became of one transaction: committed (or nothing to commit) with these offsets, or aborted, and why. */
    record Result(boolean committed, Map<TopicPartition, OffsetAndMetadata> offsets, String error) {
    }

    /**
     * Commits the open transaction with the offsets of the assigned partitions (with {@code allOffsets} every one,
     * else those that changed), or aborts it. {@code whileClosed} runs once it committed or aborted, before any send
     * enters the next: a drain hands off its scope there, so that nothing of it goes into a later transaction.
     */
    Result commit(ConsumerGroupMetadata group, Set<TopicPartition> assigned, Deadline deadline, boolean allOffsets,
            Runnable whileClosed) throws InterruptedException {
        List<RecordWork> again = List.of();
        Result result;
        ProducerTransaction.Closed closed = transaction.close(deadline.remainingNanos());
        if (closed == null) {
            // Another commit (the timer's) holds the transaction and did not end in time: this one gives up, and the
            // caller hands its scope off all the same. Nothing of a handed-off record is sent into a transaction
            // again; whatever the other commit holds becomes visible with its offsets, or not at all.
            whileClosed.run();
            return new Result(false, Map.of(), "a commit underway still held the transaction at the deadline");
        }
        try (ProducerTransaction.Closed open = closed) {
            // 1. Every outcome sent into it came back, and is booked: PUBLISHING → WRITTEN.
            boolean settled = open.settle(deadline);
            acknowledgements.bookAll();
            List<RecordWork> failed = takeFailed();
            // 2. The offsets that pass exactly what it holds. Fenced by the group metadata read with `assigned`: an
            // outcome of a partition assigned since cannot have its offsets in it; and one with sends must carry
            // offsets, or the broker checks nothing.
            boolean hasSends = open.hasSends();
            boolean outside = lock.call(core -> core.writtenOutside(assigned::contains));
            Map<TopicPartition, OffsetAndMetadata> offsets = lock
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
            // 3. Commit, or abort.
            if (refusal != null) {
                again = abort(open, failed);
                result = new Result(false, Map.of(), refusal);
            } else if (!hasSends && offsets.isEmpty()) {
                result = new Result(true, Map.of(), null);
            } else {
                result = commit(open, offsets, group, deadline);
                if (!result.committed()) {
                    again = abort(open, List.of());
                }
            }
            whileClosed.run();
        }
        // 4. What waited for it, and what of an aborted one is still to publish, goes into the next.
        again.forEach(this::publish);
        publishWaiting();
        return result;
    }

    /**
     * Aborts the open transaction: partitions were lost, and nothing written for them may become visible.
     * {@code whileClosed} runs before any send enters the next transaction (the loss is handed off there); the
     * other outcomes are written again into the next.
     */
    void abort(String reason, Runnable whileClosed) {
        List<RecordWork> again;
        try (ProducerTransaction.Closed open = transaction.close()) {
            again = abort(open, takeFailed());
            whileClosed.run();
        }
        LOG.transactionAborted(reason, again.size());
        again.forEach(this::publish);
        publishWaiting();
    }

    /** Sends a record into the open transaction, waiting for a commit underway (a drain's SUSPENDED event). */
    <T> T sendInside(Supplier<T> send) {
        return transaction.send(send);
    }

    /** True once a newer incarnation fenced this producer: nothing more can be committed, the service exits. */
    boolean fenced() {
        return fenced;
    }

    private Result commit(ProducerTransaction.Closed open, Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata group, Deadline deadline) {
        ProducerTransaction.Ending ending = open.commit(offsets, group, deadline);
        if (!ending.committed()) {
            if (ending.fatal()) {
                giveUp(ending.error());
            }
            return new Result(false, Map.of(), ending.error());
        }
        Map<Outcome, Integer> finished = new EnumMap<>(Outcome.class);
        lock.book(core -> {
            for (RecordWork work : core.transactionCommitted()) {
                finished.merge(Acknowledgements.outcomeOf(work), 1, Integer::sum);
                metrics.stopped();
            }
            core.committed(offsets);
            return null;
        });
        finished.forEach(metrics::processed);
        metrics.transaction(true);
        return new Result(true, offsets, null);
    }

    /** Aborts; returns the outcomes to write again (those of records still publishing when it is their turn). */
    private List<RecordWork> abort(ProducerTransaction.Closed open, List<RecordWork> failed) {
        try {
            open.abort();
        } catch (KafkaException | IllegalStateException e) {
            giveUp(e.toString());
        }
        metrics.transaction(false);
        // The producer ends an aborted transaction only once every send of it came back, acknowledged or failed
        // (an abort after a deadline leaves some underway): book those now, so that each of its outcomes is WRITTEN
        // or failed before the ones WRITTEN are put back. One booked later would be finished by the next commit
        // with its outcome aborted: lost.
        acknowledgements.bookAll();
        List<RecordWork> again = new ArrayList<>(failed);
        again.addAll(takeFailed());
        again.addAll(lock.book(core -> core.transactionAborted()));
        return again;
    }

    /** The outcomes whose send failed in the transaction just closed; it cannot commit if any. */
    private List<RecordWork> takeFailed() {
        List<RecordWork> failed = new ArrayList<>();
        for (RecordWork work = failedInTransaction.poll(); work != null; work = failedInTransaction.poll()) {
            failed.add(work);
        }
        return failed;
    }

    private void giveUp(String why) {
        if (!fenced) {
            fenced = true;
            LOG.stateProducerCannotGoOn(why);
            exit.accept(1);
        }
    }

    /** Visible for testing: the open transaction, to hold it as a commit underway would. */
    ProducerTransaction transaction() {
        return transaction;
    }

    void close() {
        acknowledgements.close();
    }
}
