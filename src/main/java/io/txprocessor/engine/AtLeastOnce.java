package io.txprocessor.engine;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

import io.txprocessor.core.Deadline;
import io.txprocessor.core.Phase;
import io.txprocessor.metrics.LatencyWindow;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StatePublisher;

/**
 * At least once: a record is finished once the broker acknowledged its outcome, and offsets are committed on the
 * consumer up to the first unfinished record. A record whose outcome was published may be processed again after a
 * SIGKILL (its next owner starts from the last commit).
 *
 * <p>
 * Threads: any thread publishes; acknowledgements arrive on the producer's I/O thread and are booked on
 * {@code tx-acknowledgements}; retries run on {@code tx-publish-retry}; commits on the polling thread.
 */
final class AtLeastOnce extends Delivery {

    private static final EngineLog LOG = EngineLog.of(AtLeastOnce.class);
    private static final String UNCONFIRMED = "the broker did not acknowledge it before the deadline; the next owner "
            + "processes the record again";

    private final CoreLock lock;
    private final PartitionWork partitionWork;
    private final StatePublisher publisher;
    private final ProcessorMetrics metrics;
    private final OutcomeSends sends;
    private final Acknowledgements acknowledgements;

    AtLeastOnce(CoreLock lock, PartitionWork partitionWork, StatePublisher publisher, ProcessorMetrics metrics) {
        this.lock = lock;
        this.partitionWork = partitionWork;
        this.publisher = publisher;
        this.metrics = metrics;
        this.sends = new OutcomeSends(lock, publisher);
        this.acknowledgements = new Acknowledgements(lock, metrics, this::book, this::publish);
    }

    @Override
    void publish(RecordWork work) {
        sends.send(work).whenComplete((ignored, error) -> {
            if (error == null) {
                acknowledgements.add(work);
            } else {
                publishFailed(work, error);
            }
        });
    }

    /** With the lock held: the broker has the outcome, so the record is finished (unless handed off meanwhile). */
    private boolean book(RecordWork work, Map<ProcessorMetrics.Outcome, Integer> finished) {
        boolean wasInFlight = work.phase() == Phase.PUBLISHING;
        if (lock.core().acknowledged(work)) {
            finished.merge(Acknowledgements.outcomeOf(work), 1, Integer::sum);
        }
        if (wasInFlight && work.phase() != Phase.PUBLISHING) {
            metrics.stopped();
        }
        return false;
    }

    private void publishFailed(RecordWork work, Throwable error) {
        boolean cannotSucceed = PublishFailures.cannotSucceed(error);
        boolean undeliverable;
        lock.lock();
        try {
            if (!lock.core().publishing(work)) {
                return; // handed off meanwhile
            }
            undeliverable = PublishFailures.rewriteUnpublishable(work, error, cannotSucceed);
        } finally {
            lock.unlock();
        }
        metrics.publishFailed(cannotSucceed);
        if (undeliverable) {
            LOG.noOutcomePublishable(work, error);
            acknowledgements.add(work);
        } else if (cannotSucceed) {
            LOG.outcomeNeverPublishable(work, error);
            sends.againOffTheCallback(work, this::publish);
        } else {
            sends.againLater(work, error, this::publish);
        }
    }

    @Override
    public CompletableFuture<Void> publishSuspended(StateEvent event) {
        return publisher.detached(() -> publisher.publish(event));
    }

    @Override
    boolean commitsWhileDraining() {
        return false; // from SIGTERM on, the shutdown drain commits
    }

    @Override
    Runnable commitPeriodically(Consumer<?, ?> consumer) {
        Map<TopicPartition, OffsetAndMetadata> offsets = partitionWork.commitOffsets(consumer.assignment()::contains,
                true);
        if (!offsets.isEmpty()) {
            // Timed for the drain's hand-off reserve: its final commit is one such round trip.
            LatencyWindow commits = metrics.handOffTimings().commits();
            long start = commits.start();
            consumer.commitAsync(offsets, (committed, error) -> {
                commits.end(start);
                if (error == null) {
                    partitionWork.committed(offsets);
                } else if (error instanceof RetriableException || error instanceof CommitFailedException) {
                    // A rebalance in progress: the next run commits the same offsets, or newer ones.
                    LOG.debugf("commit refused, retried next time: %s", error.toString());
                } else {
                    LOG.commitFailed(error.toString());
                }
            });
        }
        return null;
    }

    /**
     * Outcomes the broker did not acknowledge by now are not finished either (whether they landed is unknown); the
     * offsets are committed up to the first unfinished record. A failed commit loses nothing: the previous one stands
     * and the next owner starts from there.
     */
    @Override
    public DrainCommit commitDrain(Predicate<TopicPartition> scope, List<StateEvent> suspended, Deadline deadline,
            OnConsumer consumer) throws InterruptedException {
        List<String> unconfirmed = partitionWork.abandonUnconfirmed(scope);
        Map<TopicPartition, OffsetAndMetadata> offsets = partitionWork.commitOffsets(scope, false);
        try {
            if (!offsets.isEmpty()) {
                consumer.run(c -> {
                    Map<TopicPartition, OffsetAndMetadata> ours = new HashMap<>(offsets);
                    // A partition revoked meanwhile was committed by its revocation drain; its new owner may be
                    // ahead of us by now.
                    ours.keySet().retainAll(c.assignment());
                    if (!ours.isEmpty()) {
                        c.commitSync(ours, consumer.attemptTime(deadline));
                    }
                    return null;
                }, deadline);
                partitionWork.committed(offsets);
            }
            return new DrainCommit(offsets, unconfirmed, UNCONFIRMED, List.of(), null);
        } catch (OnConsumer.NotRun | RuntimeException e) {
            return new DrainCommit(Map.of(), unconfirmed, UNCONFIRMED, List.of(), e.toString());
        }
    }

    @Override
    public List<StateEvent> lost(Collection<TopicPartition> lost, String reason) {
        return partitionWork.handOffLost(lost, reason);
    }

    @Override
    void close() {
        sends.close();
        acknowledgements.close();
    }
}
