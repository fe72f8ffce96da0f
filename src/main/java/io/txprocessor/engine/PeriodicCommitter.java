package io.txprocessor.engine;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
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
    private final ScheduledExecutorService timer = Executors
            .newSingleThreadScheduledExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-commit-timer"));

    public PeriodicCommitter(InFlightWork work, PollWatch positions, PartitionStarts starts,
            KafkaClientService kafka, TransactionsConfig config) {
        this.work = work;
        this.positions = positions;
        this.starts = starts;
        this.kafka = kafka;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.commitInterval().toMillis();
        timer.scheduleWithFixedDelay(this::commit, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void commit() {
        if (!work.accepting()) {
            return; // the shutdown drain commits from now on
        }
        try {
            kafka.getConsumer(TransactionConsumer.CHANNEL).runOnPollingThread(consumer -> {
                starts.retry(consumer);
                positions.advance(consumer);
                positions.resumeIfRoom(consumer);
                Map<TopicPartition, OffsetAndMetadata> offsets = work.commitOffsets(consumer.assignment()::contains,
                        true);
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
            }).await().atMost(config.commitInterval().multipliedBy(10));
        } catch (RuntimeException e) {
            LOG.debugf("periodic commit skipped: %s", e.toString());
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
