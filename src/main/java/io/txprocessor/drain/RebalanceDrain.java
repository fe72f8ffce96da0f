package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.txprocessor.engine.ProcessingEngine;
import io.txprocessor.metrics.ProcessorMetrics.Trigger;

/**
 * Partitions coming and going while the service runs. Called by the Kafka
 * consumer inside {@code poll()}, on the connector's polling thread, which it
 * blocks: a revocation drain is therefore bounded by
 * {@code drain.rebalance-timeout}, well below {@code max.poll.interval.ms}.
 *
 * <p>
 * With the cooperative assignor only the partitions that move are revoked; the
 * others keep flowing (records already fetched for them keep being processed
 * while this drain runs).
 */
@ApplicationScoped
@Identifier(RebalanceDrain.NAME)
public class RebalanceDrain implements KafkaConsumerRebalanceListener {

    /**
     * The name the channel's {@code consumer-rebalance-listener.name} refers to.
     */
    public static final String NAME = "transactions-rebalance";
    private static final Logger LOG = Logger.getLogger(RebalanceDrain.class);
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    private final ProcessingEngine engine;
    private final DrainSequence sequence;
    private final DrainStatus status;
    private final DrainConfig config;

    public RebalanceDrain(ProcessingEngine engine, DrainSequence sequence, DrainStatus status, DrainConfig config) {
        this.engine = engine;
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
        Set<TopicPartition> assigned = new HashSet<>(partitions);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned, LOOKUP_TIMEOUT);
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = committed.get(partition);
            long position = offset != null ? offset.offset() : consumer.position(partition, LOOKUP_TIMEOUT);
            engine.assigned(partition, offset, position);
        }
        LOG.infof("assigned %s", partitions);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        Set<TopicPartition> revoked = new HashSet<>(partitions);
        revoked.retainAll(engine.assignedPartitions());
        if (revoked.isEmpty()) {
            return;
        }
        if (status.state() == DrainState.DRAINED) {
            // The shutdown drain already committed these; the consumer is closing.
            engine.release(revoked);
            return;
        }
        long start = System.nanoTime();
        Instant startedAt = Instant.now();
        // During a shutdown drain the shutdown's deadline stands: the earlier of the two.
        Deadline deadline = status.earlierOf(Deadline.after(start, config.rebalanceTimeout()));
        int inFlightAtStart = engine.stopStarting(revoked);
        try {
            DrainReport report = sequence.drain(Trigger.REBALANCE, revoked::contains, startedAt, inFlightAtStart,
                    config.rebalanceTimeout(), deadline,
                    (offsets, until) -> consumer.commitSync(offsets, until.remaining()));
            DrainSequence.REPORT.info(sequence.json(report));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("revocation drain interrupted; the next owner starts from the last commit");
        } finally {
            engine.release(revoked);
        }
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // Lost, not revoked: another member may own them already, so nothing is waited
        // for or committed.
        Set<TopicPartition> lost = new HashSet<>(partitions);
        engine.stopStarting(lost);
        try {
            sequence.publishSuspended(engine.suspendRunning(lost::contains, "partitions-lost"),
                    status.earlierOf(Deadline.after(System.nanoTime(), config.handOffReserve())));
            engine.abandonUnconfirmed(lost::contains);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            engine.release(lost);
        }
        LOG.warnf("lost %s; their unfinished records go to the next owner", partitions);
    }
}
