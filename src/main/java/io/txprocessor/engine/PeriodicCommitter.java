package io.txprocessor.engine;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Commits what finished every {@code transactions.commit-interval} while the service runs, as the {@link Delivery}
 * does it (drains commit on their own). Each run is a task on the consumer's polling thread, so it only ever covers partitions the consumer
 * holds at that moment and cannot interleave with a revocation; it also passes transaction markers
 * and resumes what memory paused ({@link PollWatch}), and looks up the start of partitions whose look-up failed ({@link PartitionStarts}).
 */
@ApplicationScoped
public class PeriodicCommitter {

    private static final Logger LOG = Logger.getLogger(PeriodicCommitter.class);

    private final PartitionWork partitionWork;
    private final PollWatch positions;
    private final PartitionStarts starts;
    private final KafkaClientService kafka;
    private final TransactionsConfig config;
    private final Delivery delivery;
    private final CommitSoon commitSoon;
    /** Set while a commit asked for by {@link CommitSoon} waits for the timer's thread. */
    private final AtomicBoolean soon = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors
            .newSingleThreadScheduledExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-commit-timer"));

    public PeriodicCommitter(PartitionWork partitionWork, PollWatch positions, PartitionStarts starts,
            KafkaClientService kafka, TransactionsConfig config, Delivery delivery, CommitSoon commitSoon) {
        this.partitionWork = partitionWork;
        this.commitSoon = commitSoon;
        this.delivery = delivery;
        this.positions = positions;
        this.starts = starts;
        this.kafka = kafka;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.work().commitInterval().toMillis();
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
        // From SIGTERM on, the shutdown drain commits, unless the delivery goes on committing until its final commit.
        boolean draining = !partitionWork.accepting();
        if (draining && !delivery.commitsWhileDraining() || delivery.stopped()) {
            return;
        }
        try {
            Runnable offThePollingThread = kafka.getConsumer(TransactionConsumer.CHANNEL)
                    .runOnPollingThread(consumer -> {
                        if (!draining) {
                            starts.retry(consumer);
                            positions.advance(consumer);
                            positions.resumeIfRoom(consumer);
                        }
                        return delivery.commitPeriodically(consumer);
                    }).await().atMost(config.work().commitInterval().multipliedBy(10));
            if (offThePollingThread != null) {
                offThePollingThread.run();
            }
        } catch (RuntimeException e) {
            LOG.debugf("periodic commit skipped: %s", e.toString());
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
