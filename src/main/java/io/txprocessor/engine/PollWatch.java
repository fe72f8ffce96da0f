package io.txprocessor.engine;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Lets a commit pass what no record stands for: transaction markers and aborted records take offsets no consumer
 * ever receives, so "last record + 1" stops short of the end on every partition written transactionally, and the
 * lag never reaches 0. The consumer's position does pass them, but it also passes records fetched and still in
 * the connector's queue. So this remembers, per partition, the last offset any poll returned (fed by
 * {@link Interceptor}, inside {@code poll()}), and the position counts as reached only once that record has
 * reached the engine: then nothing of the partition is queued, and every offset below the position arrived or
 * never will.
 *
 * <p>
 * Thread: the consumer's polling thread, for everything (the interceptor runs inside {@code poll()}, the
 * assignment callbacks and the periodic commit between two polls).
 */
@ApplicationScoped
public class PolledPositions {

    /** The consumer configuration key under which the interceptor finds this bean. */
    static final String CONFIG_KEY = "txprocessor.polled-positions";

    private final InFlightWork work;
    private final Map<TopicPartition, Long> lastPolled = new ConcurrentHashMap<>();

    public PolledPositions(InFlightWork work) {
        this.work = work;
    }

    void polled(ConsumerRecords<?, ?> records) {
        for (TopicPartition partition : records.partitions()) {
            var fetched = records.records(partition);
            lastPolled.merge(partition, fetched.get(fetched.size() - 1).offset(), Math::max);
        }
    }

    /** A new assignment of these partitions starts from scratch. */
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(lastPolled::remove);
    }

    /** Tells the engine the position of every assigned partition whose polled records all reached it. */
    void advance(Consumer<?, ?> consumer) {
        for (TopicPartition partition : work.assignedPartitions()) {
            Long last = lastPolled.get(partition);
            if (last != null && work.arrivedUpTo(partition) <= last) {
                continue; // records of it are still on their way through the connector
            }
            try {
                work.reachedPosition(partition, consumer.position(partition, Duration.ZERO));
            } catch (KafkaException | IllegalStateException e) {
                // No position yet (nothing fetched since the assignment), or revoked meanwhile: next time.
            }
        }
    }

    /** The consumer interceptor that feeds {@link PolledPositions}; Kafka creates it from the consumer config. */
    public static final class Interceptor implements ConsumerInterceptor<Object, Object> {

        private PolledPositions positions;

        @Override
        public void configure(Map<String, ?> configs) {
            this.positions = (PolledPositions) configs.get(CONFIG_KEY);
        }

        @Override
        public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
            if (positions != null && !records.isEmpty()) {
                positions.polled(records);
            }
            return records;
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            // nothing to learn from commits
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}
