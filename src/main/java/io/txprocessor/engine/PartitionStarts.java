package io.txprocessor.engine;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.metrics.ProcessorMetrics;

/**
 * Where each assigned partition starts: its committed offset and metadata, or its position when nothing was
 * committed. The look-up can time out (the group coordinator slow or moving); a partition whose start is not known
 * is paused, so nothing of it is fetched, and looked up again on every periodic commit until it succeeds or the
 * partition is revoked. No fetched record of an assigned partition is ever dropped for want of its start.
 *
 * <p>
 * Thread: the consumer's polling thread only (assignment callbacks and periodic commits).
 */
@ApplicationScoped
public class PartitionStarts {

    private static final EngineLog LOG = EngineLog.of(PartitionStarts.class);
    /** Inside an assignment callback: a rebalance waits for it. */
    static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);
    /** Between two polls: short, so polling goes on. */
    static final Duration RETRY_TIMEOUT = Duration.ofSeconds(1);

    private final PartitionWork partitionWork;
    private final PollWatch positions;
    private final ProcessorMetrics metrics;
    /** Assigned, start unknown, paused by us. */
    private final Set<TopicPartition> pending = new HashSet<>();

    public PartitionStarts(PartitionWork partitionWork, PollWatch positions, ProcessorMetrics metrics) {
        this.partitionWork = partitionWork;
        this.positions = positions;
        this.metrics = metrics;
    }

    /** Partitions were assigned: looks up their starts and hands them to the engine. */
    public void assigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        positions.forget(partitions);
        pending.addAll(partitions);
        lookUp(consumer, LOOKUP_TIMEOUT);
    }

    /** Partitions left (revoked or lost): no look-up for them any more. */
    public void gone(Collection<TopicPartition> partitions) {
        pending.removeAll(partitions);
        positions.forget(partitions);
    }

    /** Between two polls: looks up again what could not be looked up before. */
    public void retry(Consumer<?, ?> consumer) {
        if (!pending.isEmpty()) {
            lookUp(consumer, RETRY_TIMEOUT);
        }
    }

    /** Partitions assigned whose start is not known yet (paused meanwhile). */
    public Set<TopicPartition> pending() {
        return Set.copyOf(pending);
    }

    /**
     * Where a partition with nothing committed starts: where the consumer's reset policy put it, which is its
     * position, or the first offset fetched since the assignment if the consumer fetched meanwhile.
     */
    private long startWithoutCommit(Consumer<?, ?> consumer, TopicPartition partition, Duration timeout) {
        long position = consumer.position(partition, timeout);
        Long first = positions.firstPolled(partition);
        return first == null ? position : Math.min(first, position);
    }

    private void lookUp(Consumer<?, ?> consumer, Duration timeout) {
        pending.retainAll(consumer.assignment());
        Set<TopicPartition> looking = new HashSet<>(pending);
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(looking, timeout);
            for (TopicPartition partition : looking) {
                OffsetAndMetadata offset = committed.get(partition);
                long position = offset != null ? offset.offset() : startWithoutCommit(consumer, partition, timeout);
                partitionWork.assigned(partition, offset, position);
                pending.remove(partition);
                // Whatever was fetched before this moment was dropped: fetch it again, from the start.
                consumer.seek(partition, offset != null ? offset : new OffsetAndMetadata(position));
                if (consumer.paused().contains(partition) && partitionWork.accepting()) {
                    consumer.resume(Set.of(partition));
                }
            }
        } catch (KafkaException e) {
            consumer.pause(pending);
            metrics.startLookupFailed();
            LOG.partitionStartsNotLookedUp(pending, e.toString());
        }
    }
}
