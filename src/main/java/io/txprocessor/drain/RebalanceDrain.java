package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.txprocessor.core.Deadline;
import io.txprocessor.engine.Delivery;
import io.txprocessor.engine.OnConsumer;
import io.txprocessor.engine.PartitionStarts;
import io.txprocessor.engine.PartitionWork;

/**
 * Partitions coming and going while the service runs. Called by the Kafka consumer inside {@code poll()}, on the
 * connector's polling thread, which it blocks: a revocation drain is therefore bounded by
 * {@code drain.rebalance-timeout}, well below {@code max.poll.interval.ms}.
 *
 * <p>
 * With the cooperative assignor only the partitions that move are revoked; the others keep flowing (records
 * already fetched for them keep being processed while this drain runs).
 *
 * <p>
 * Lost partitions (the member was thrown out of the group: a session timeout after a long pause, a frozen
 * container) are handed off at once, with nothing waited for, committed or published: another member may own them
 * already, and may have completed their records.
 * The connector's listener wrapper (SmallRye 4.33 {@code RebalanceListeners.WrappedConsumerRebalanceListener})
 * does not forward {@code onPartitionsLost}, so Kafka's default turns a loss into a call of
 * {@code onPartitionsRevoked}; {@link LossDetector} tells the two apart.
 */
@ApplicationScoped
@Identifier(RebalanceDrain.NAME)
public class RebalanceDrain implements KafkaConsumerRebalanceListener {

    /** The name the channel's {@code consumer-rebalance-listener.name} refers to. */
    public static final String NAME = "transactions-rebalance";
    private static final DrainLog LOG = DrainLog.of(RebalanceDrain.class);

    private final PartitionWork partitionWork;
    private final PartitionStarts starts;
    private final DrainSequence sequence;
    private final DrainStatus status;
    private final DrainConfig config;
    private final Delivery delivery;
    private final ReportLines lines;

    public RebalanceDrain(PartitionWork partitionWork, PartitionStarts starts, DrainSequence sequence,
            DrainStatus status, DrainConfig config, Delivery delivery, ReportLines lines) {
        this.partitionWork = partitionWork;
        this.lines = lines;
        this.delivery = delivery;
        this.starts = starts;
        this.sequence = sequence;
        this.status = status;
        this.config = config;
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        if (status.shuttingDown()) {
            consumer.pause(partitions); // assigned during our own drain: not ours to start
            return;
        }
        starts.assigned(consumer, partitions);
        LOG.assigned(partitions);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (LossDetector.calledForALoss()) {
            onPartitionsLost(consumer, partitions);
            return;
        }
        starts.gone(partitions);
        Set<TopicPartition> revoked = new HashSet<>(partitions);
        revoked.retainAll(partitionWork.assignedPartitions());
        if (revoked.isEmpty()) {
            return;
        }
        if (status.state() == DrainState.DRAINED) {
            // The shutdown drain already committed these; the consumer is closing.
            partitionWork.release(revoked);
            return;
        }
        long start = System.nanoTime();
        Instant startedAt = Instant.now();
        // During a shutdown drain the shutdown's deadline stands: the earlier of the two.
        Deadline deadline = status.earlierOf(Deadline.after(start, config.rebalanceTimeout()));
        int inFlightAtStart = partitionWork.stopStartingRevoked(revoked);
        try {
            DrainReport report = sequence.drain(new DrainRequest(Trigger.REBALANCE, revoked::contains, startedAt,
                    inFlightAtStart, config.rebalanceTimeout(), deadline, OnConsumer.direct(consumer)));
            lines.report(report);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.revocationDrainInterrupted();
        } finally {
            partitionWork.release(revoked);
        }
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // Lost, not revoked: another member may own them already, so nothing is waited for or committed.
        starts.gone(partitions);
        Set<TopicPartition> lost = new HashSet<>(partitions);
        lost.retainAll(partitionWork.assignedPartitions());
        if (lost.isEmpty()) {
            return;
        }
        if (status.state() == DrainState.DRAINED) {
            // The shutdown drain already handed these off and committed; the consumer is closing during a
            // rebalance, which Kafka reports as a loss. Nothing is in flight and, exactly once, no transaction open.
            partitionWork.release(lost);
            return;
        }
        long start = System.nanoTime();
        int inFlight = partitionWork.inFlight(lost::contains);
        sequence.handOffLost(delivery.lost(lost, Trigger.PARTITIONS_LOST.tag()),
                Duration.ofNanos(System.nanoTime() - start));
        LOG.partitionsLost(lost, inFlight, (System.nanoTime() - start) / 1_000_000);
    }
}
