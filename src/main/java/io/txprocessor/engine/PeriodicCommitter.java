package io.txprocessor.engine;

import java.time.Instant;
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
import io.txprocessor.drain.DrainStatus;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Commits finished offsets every {@code transactions.commit-interval} while the
 * service runs (drains commit on their own). The commit is computed and sent on
 * the consumer's polling thread, so it only ever covers partitions the consumer
 * holds at that moment and cannot interleave with a revocation. Each run also
 * proves the polling thread is alive, which liveness reads.
 */
@ApplicationScoped
public class PeriodicCommitter {

    private static final Logger LOG = Logger.getLogger(PeriodicCommitter.class);

    private final ProcessingEngine engine;
    private final KafkaClientService kafka;
    private final DrainStatus status;
    private final TransactionsConfig config;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "tx-commit-timer");
        thread.setDaemon(true);
        return thread;
    });
    private volatile Instant lastPollingThreadRun = Instant.now();

    public PeriodicCommitter(ProcessingEngine engine, KafkaClientService kafka, DrainStatus status,
            TransactionsConfig config) {
        this.engine = engine;
        this.kafka = kafka;
        this.status = status;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.commitInterval().toMillis();
        timer.scheduleWithFixedDelay(this::commit, interval, interval, TimeUnit.MILLISECONDS);
    }

    /**
     * When the polling thread last ran a commit task: it stops advancing only if
     * polling is stuck.
     */
    public Instant lastPollingThreadRun() {
        return lastPollingThreadRun;
    }

    private void commit() {
        if (status.shuttingDown()) {
            return;
        }
        try {
            kafka.getConsumer(TransactionConsumer.CHANNEL).runOnPollingThread(consumer -> {
                lastPollingThreadRun = Instant.now();
                Map<TopicPartition, OffsetAndMetadata> offsets = engine.commitOffsets(consumer.assignment()::contains,
                        true);
                if (!offsets.isEmpty()) {
                    consumer.commitAsync(offsets, (committed, error) -> {
                        if (error == null) {
                            engine.committed(offsets);
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
