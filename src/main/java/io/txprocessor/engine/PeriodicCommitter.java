package io.txprocessor.engine;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.txprocessor.core.Deadline;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Commits finished offsets every {@code transactions.commit-interval} while the service runs (drains commit on
 * their own). Each run is a task on the consumer's polling thread, so it only ever covers partitions the consumer
 * holds at that moment and cannot interleave with a revocation; it also passes transaction markers
 * and resumes what memory paused ({@link PollWatch}), and looks up the start of partitions whose look-up failed ({@link PartitionStarts}).
 */
@ApplicationScoped
public class PeriodicCommitter {

    private static final Logger LOG = Logger.getLogger(PeriodicCommitter.class);

    private final InFlightWork work;
    private final PollWatch positions;
    private final PartitionStarts starts;
    private final KafkaClientService kafka;
    private final TransactionsConfig config;
    private final ExactlyOnceCommits transactions;
    private final CommitSoon commitSoon;
    /** Set while a commit asked for by {@link CommitSoon} waits for the timer's thread. */
    private final AtomicBoolean soon = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors
            .newSingleThreadScheduledExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-commit-timer"));

    public PeriodicCommitter(InFlightWork work, PollWatch positions, PartitionStarts starts,
            KafkaClientService kafka, TransactionsConfig config, ExactlyOnceCommits transactions,
            CommitSoon commitSoon) {
        this.work = work;
        this.commitSoon = commitSoon;
        this.transactions = transactions;
        this.positions = positions;
        this.starts = starts;
        this.kafka = kafka;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.commitInterval().toMillis();
        timer.scheduleWithFixedDelay(this::commit, interval, interval, TimeUnit.MILLISECONDS);
        commitSoon.onRequest(this::commitNow);
    }

    /** A commit now, on the timer's thread, unless one is already waiting for it. */
    private void commitNow() {
        if (soon.compareAndSet(false, true)) {
            try {
                timer.execute(() -> {
                    soon.set(false);
                    commit();
                });
            } catch (RejectedExecutionException e) {
                soon.set(false); // stopping
            }
        }
    }

    private void commit() {
        // From SIGTERM on the shutdown drain commits. Exactly once, transactions go on committing what finishes
        // meanwhile until the drain's own final one: one left open for the whole drain would outlive
        // transaction-timeout, and the broker would abort it.
        boolean draining = !work.accepting();
        if (draining && !config.exactlyOnce()) {
            return;
        }
        if (transactions.fenced()) {
            return; // the service is exiting
        }
        try {
            Membership membership = kafka.getConsumer(TransactionConsumer.CHANNEL).runOnPollingThread(consumer -> {
                if (!draining) {
                    starts.retry(consumer);
                    positions.advance(consumer);
                    positions.resumeIfRoom(consumer);
                }
                if (config.exactlyOnce()) {
                    return new Membership(consumer.groupMetadata(), Set.copyOf(consumer.assignment()));
                }
                commitOffsets(consumer);
                return null;
            }).await().atMost(config.commitInterval().multipliedBy(10));
            if (membership != null) {
                commitTransaction(membership);
            }
        } catch (RuntimeException e) {
            LOG.debugf("periodic commit skipped: %s", e.toString());
        }
    }

    /** What the consumer is a member of at this moment: what a transaction's offsets are fenced by. */
    private record Membership(ConsumerGroupMetadata group, Set<TopicPartition> assigned) {
    }

    private void commitOffsets(Consumer<?, ?> consumer) {
        Map<TopicPartition, OffsetAndMetadata> offsets = work.commitOffsets(consumer.assignment()::contains, true);
        if (!offsets.isEmpty()) {
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error == null) {
                    work.committed(offsets);
                } else if (error instanceof RetriableException || error instanceof CommitFailedException) {
                    // A rebalance in progress: the next run commits the same offsets, or newer ones.
                    LOG.debugf("commit refused, retried next time: %s", error.toString());
                } else {
                    LOG.warnf("commit failed, retried next time: %s", error.toString());
                }
            });
        }
    }

    /**
     * Exactly once: the open transaction commits with the offsets that changed, here on the timer's thread rather
     * than on the polling thread, which keeps fetching meanwhile. The group metadata was read on the polling thread
     * just before: if the group moves on in between, the broker refuses the offsets and the transaction aborts (its
     * outcomes go into the next); a revocation drain or a loss on the polling thread waits for this commit to end.
     */
    private void commitTransaction(Membership membership) {
        try {
            ExactlyOnceCommits.Result result = transactions.commit(membership.group(), membership.assigned(),
                    Deadline.after(System.nanoTime(), config.publishTimeout()), false, () -> {
                    });
            if (!result.committed()) {
                LOG.infof("transaction aborted, its outcomes go into the next: %s", result.error());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
