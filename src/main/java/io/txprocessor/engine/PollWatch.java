package io.txprocessor.engine;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Watches what polls return before it reaches the engine, fed by {@link Interceptor} inside {@code poll()}. Two
 * things need it:
 * <ul>
 * <li><b>Positions past what no record stands for.</b> Transaction markers and aborted records take offsets no
 * consumer ever receives, so "last record + 1" stops short of the end on every partition written transactionally,
 * and the lag never reaches 0. The consumer's position does pass them, but it also passes records still queued in
 * the connector. So the last offset each poll returned is remembered per partition, and the position counts as
 * reached once that record has reached the engine: then every offset below it arrived or never will.</li>
 * <li><b>Which assignment a record was fetched in</b> ({@link FetchStamp}), so that a batch that waited in the
 * connector's queue through a change of assignment is not booked into the new one.</li>
 * <li><b>Memory.</b> The connector queues up to {@code max.poll.records} x 3 polls whatever their size, ahead of
 * the engine's own window: a backlog of large records would exhaust the heap there. So the bytes polled and not
 * yet handed to the engine, plus the bytes the engine holds, are kept under {@code transactions.max-pending-bytes},
 * and the records queued under {@code transactions.max-pending-records}: above either the partitions are paused
 * inside the very poll that crossed it, and resumed once half of it is free.</li>
 * </ul>
 *
 * <p>
 * Threads: the consumer's polling thread for everything but {@link #arrived}, which the connector's event loop
 * calls; the byte counters are atomic.
 */
@ApplicationScoped
public class PollWatch {

    private static final Logger LOG = Logger.getLogger(PollWatch.class);
    /** The consumer configuration key under which the interceptor finds this bean. */
    static final String CONFIG_KEY = "txprocessor.poll-watch";

    private final PartitionWork partitionWork;
    private final CoreLock lock;
    private final KafkaClientService kafka;
    private final long maxBytes;
    private final long maxQueuedRecords;
    /** Polling thread: per partition, the last offset a poll returned in this assignment. */
    private final Map<TopicPartition, Long> lastPolled = new ConcurrentHashMap<>();
    /** Polling thread: per partition, the first offset a poll returned in this assignment. */
    private final Map<TopicPartition, Long> firstPolled = new ConcurrentHashMap<>();
    /** Per partition: bytes and records polled, and handed to the engine, in this assignment. */
    private final Map<TopicPartition, AtomicLong> polledBytes = new ConcurrentHashMap<>();
    private final Map<TopicPartition, AtomicLong> arrivedBytes = new ConcurrentHashMap<>();
    private final Map<TopicPartition, AtomicLong> polledRecords = new ConcurrentHashMap<>();
    private final Map<TopicPartition, AtomicLong> arrivedRecords = new ConcurrentHashMap<>();
    /** Polling thread: partitions paused because of memory. */
    private final Set<TopicPartition> pausedForMemory = new HashSet<>();

    public PollWatch(PartitionWork partitionWork, CoreLock lock, KafkaClientService kafka, TransactionsConfig config) {
        this.partitionWork = partitionWork;
        this.lock = lock;
        this.kafka = kafka;
        this.maxBytes = CoreLock.maxPendingBytes(config);
        this.maxQueuedRecords = DeliveryChoice.window(config);
    }

    void polled(ConsumerRecords<?, ?> records) {
        for (TopicPartition partition : records.partitions()) {
            var fetched = records.records(partition);
            lastPolled.merge(partition, fetched.get(fetched.size() - 1).offset(), Math::max);
            firstPolled.putIfAbsent(partition, fetched.get(0).offset());
            var stamp = FetchStamp.of(lock.call(core -> core.epochOf(partition)));
            long bytes = 0;
            for (ConsumerRecord<?, ?> record : fetched) {
                record.headers().add(stamp);
                bytes += Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize());
            }
            polledBytes.computeIfAbsent(partition, p -> new AtomicLong()).addAndGet(bytes);
            polledRecords.computeIfAbsent(partition, p -> new AtomicLong()).addAndGet(fetched.size());
        }
        if (heldBytes() >= maxBytes || queued(polledRecords, arrivedRecords) >= maxQueuedRecords) {
            pauseForMemory(kafka.getConsumer(TransactionConsumer.CHANNEL).unwrap());
        }
    }

    /** The connector's event loop handed {@code records} records of {@code bytes} in all to the engine. */
    void arrived(TopicPartition partition, int records, long bytes) {
        arrivedBytes.computeIfAbsent(partition, p -> new AtomicLong()).addAndGet(bytes);
        arrivedRecords.computeIfAbsent(partition, p -> new AtomicLong()).addAndGet(records);
    }

    /** A new assignment of these partitions (or their loss) starts the counts from scratch. */
    public void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            lastPolled.remove(partition);
            firstPolled.remove(partition);
            polledBytes.remove(partition);
            arrivedBytes.remove(partition);
            polledRecords.remove(partition);
            arrivedRecords.remove(partition);
            pausedForMemory.remove(partition);
        }
    }

    /** The first offset of the partition a poll returned since its assignment; null when none did. */
    Long firstPolled(TopicPartition partition) {
        return firstPolled.get(partition);
    }

    /** Bytes polled and not yet handed to the engine, plus the bytes the engine holds. */
    long heldBytes() {
        return queued(polledBytes, arrivedBytes) + lock.call(core -> core.heldBytes());
    }

    /** What polls returned and the engine has not received yet: it sits in the connector's queue. */
    private static long queued(Map<TopicPartition, AtomicLong> polled, Map<TopicPartition, AtomicLong> arrived) {
        long queued = 0;
        for (Map.Entry<TopicPartition, AtomicLong> entry : polled.entrySet()) {
            AtomicLong handed = arrived.get(entry.getKey());
            queued += Math.max(0, entry.getValue().get() - (handed == null ? 0 : handed.get()));
        }
        return queued;
    }

    private void pauseForMemory(Consumer<?, ?> consumer) {
        Set<TopicPartition> running = new HashSet<>(consumer.assignment());
        running.removeAll(consumer.paused());
        if (!running.isEmpty()) {
            consumer.pause(running);
            pausedForMemory.addAll(running);
            LOG.debugf("paused %s: %d bytes held, at most %d", running, heldBytes(), maxBytes);
        }
    }

    /** Between two polls: resumes what memory paused once half the budget is free. */
    void resumeIfRoom(Consumer<?, ?> consumer) {
        pausedForMemory.retainAll(consumer.assignment());
        if (pausedForMemory.isEmpty() || !partitionWork.accepting() || heldBytes() > maxBytes / 2
                || queued(polledRecords, arrivedRecords) > maxQueuedRecords / 2) {
            return;
        }
        consumer.resume(pausedForMemory);
        pausedForMemory.clear();
    }

    /** Tells the engine the position of every assigned partition whose polled records all reached it. */
    void advance(Consumer<?, ?> consumer) {
        for (TopicPartition partition : partitionWork.assignedPartitions()) {
            Long last = lastPolled.get(partition);
            if (last != null && partitionWork.arrivedUpTo(partition) <= last) {
                continue; // records of it are still on their way through the connector
            }
            try {
                partitionWork.reachedPosition(partition, consumer.position(partition, Duration.ZERO));
            } catch (KafkaException | IllegalStateException e) {
                // No position yet (nothing fetched since the assignment), or revoked meanwhile: next time.
            }
        }
    }

    /** The consumer interceptor that feeds {@link PollWatch}; Kafka creates it from the consumer config. */
    public static final class Interceptor implements ConsumerInterceptor<Object, Object> {

        private PollWatch watch;

        @Override
        public void configure(Map<String, ?> configs) {
            this.watch = (PollWatch) configs.get(CONFIG_KEY);
        }

        @Override
        public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
            if (watch != null && !records.isEmpty()) {
                watch.polled(records);
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
