package io.txprocessor.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.Deadline;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StatePublisher;

/**
 * Exactly once: state events, dead letters, SUSPENDED events and the input offsets of exactly the records whose
 * outcome a transaction holds become visible together, fenced by the consumer group's generation; a record is
 * finished when the transaction holding its outcome commits ({@link TransactionLifecycle}). This class says when a
 * transaction commits: every {@code commit-interval}, at once when the window is half full, at the end of every
 * drain; and what a loss does: the open transaction aborts.
 */
final class ExactlyOnce extends Delivery {

    private static final EngineLog LOG = EngineLog.of(ExactlyOnce.class);

    private final PartitionWork partitionWork;
    private final StatePublisher publisher;
    private final TransactionLifecycle transactions;
    private final OutcomeSends sends;
    private final CommitSoon commitSoon;
    private final Duration publishTimeout;

    ExactlyOnce(PartitionWork partitionWork, StatePublisher publisher, TransactionLifecycle transactions,
            OutcomeSends sends, CommitSoon commitSoon, Duration publishTimeout) {
        this.partitionWork = partitionWork;
        this.publisher = publisher;
        this.transactions = transactions;
        this.sends = sends;
        this.commitSoon = commitSoon;
        this.publishTimeout = publishTimeout;
    }

    @Override
    void publish(RecordWork work) {
        transactions.publish(work);
    }

    @Override
    void windowHalfFull() {
        // What fills the window may be outcomes waiting for their transaction: a commit now keeps the intake going.
        commitSoon.request();
    }

    @Override
    public CompletableFuture<Void> publishSuspended(StateEvent event) {
        return publisher.detached(() -> transactions.sendInside(() -> publisher.publish(event)));
    }

    @Override
    boolean commitsWhileDraining() {
        // A transaction left open for the whole drain would outlive transaction-timeout, and the broker would abort
        // it: transactions go on committing what finishes until the drain's own final one.
        return true;
    }

    @Override
    Runnable commitPeriodically(Consumer<?, ?> consumer) {
        // The group metadata is read here, on the polling thread; the commit runs on the timer's thread while the
        // polling thread keeps fetching. If the group moves on in between, the broker refuses the offsets and the
        // transaction aborts (its outcomes go into the next); a revocation drain or a loss on the polling thread
        // waits for this commit to end.
        ConsumerGroupMetadata group = consumer.groupMetadata();
        Set<TopicPartition> assigned = Set.copyOf(consumer.assignment());
        return () -> {
            try {
                TransactionLifecycle.Result result = transactions.commit(group, assigned,
                        Deadline.after(System.nanoTime(), publishTimeout), false, () -> {
                        });
                if (!result.committed()) {
                    LOG.periodicTransactionAborted(result.error());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /**
     * One transaction makes the outcomes, the SUSPENDED events and the offsets visible together, or none of them.
     * What of the scope is unfinished after it (its transaction aborted, or its outcome not yet sent) is handed off
     * before anything enters the next transaction: the next owner processes it, and a SUSPENDED event of an aborted
     * transaction is never seen (SUSPENDED by absence).
     */
    @Override
    public DrainCommit commitDrain(Predicate<TopicPartition> scope, List<StateEvent> suspended, Deadline deadline,
            OnConsumer consumer) throws InterruptedException {
        List<String> unconfirmed = new ArrayList<>();
        Runnable handOff = () -> unconfirmed.addAll(partitionWork.abandonUnconfirmed(scope));
        TransactionLifecycle.Result result;
        try {
            result = consumer.run(c -> {
                try {
                    return transactions.commit(c.groupMetadata(), c.assignment(), deadline, true, handOff);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CompletionException(e);
                }
            }, deadline);
        } catch (OnConsumer.NotRun e) {
            // Never started, so it never commits: nothing of it becomes visible (the broker aborts it after
            // transaction-timeout), and the scope is handed off here.
            handOff.run();
            result = new TransactionLifecycle.Result(false, Map.of(), "not committed: " + e.getMessage());
        } catch (RuntimeException e) {
            result = new TransactionLifecycle.Result(false, Map.of(), "not confirmed before the deadline: the "
                    + "commit was underway, whether it committed is unknown (" + e + ")");
        }
        String why = result.committed()
                ? "not yet sent when the drain's transaction committed; the next owner processes the record again"
                : "its transaction aborted (" + result.error() + "); the next owner processes the record again";
        return new DrainCommit(result.offsets(), unconfirmed, why, result.committed() ? List.of() : suspended,
                result.error());
    }

    /**
     * The open transaction may hold outcomes of the lost partitions, which their new owner is processing again: it
     * aborts, and the loss is handed off before anything enters the next one.
     */
    @Override
    public List<StateEvent> lost(Collection<TopicPartition> lost, String reason) {
        List<StateEvent> suspended = new ArrayList<>();
        transactions.abort("partitions lost " + lost, () -> suspended.addAll(partitionWork.handOffLost(lost, reason)));
        return suspended;
    }

    /** Visible for testing. */
    TransactionLifecycle transactions() {
        return transactions;
    }

    @Override
    public boolean stopped() {
        return transactions.fenced();
    }

    @Override
    void close() {
        sends.close();
        transactions.close();
    }
}
