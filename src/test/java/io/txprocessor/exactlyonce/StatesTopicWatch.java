package io.txprocessor.exactlyonce;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.testing.Topics;

/**
 * The states topic's end offsets as the two kinds of reader see them, asked of the broker every few milliseconds: how far was written, committed or not ({@code read_uncommitted}: the high
 * watermark), and how far a {@code read_committed} reader can read (the last stable offset: the first offset of the
 * oldest transaction still open on the partition, or the high watermark when none is).
 */
final class StatesTopicWatch implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** Asks the broker directly: a consumer's endOffsets on partitions it is not assigned logs a warning each time. */
    private final Admin admin;
    private final List<TopicPartition> partitions;

    StatesTopicWatch(Topics topics) {
        this.admin = topics.admin();
        try (KafkaConsumer<byte[], byte[]> reader = topics.reader(IsolationLevel.READ_UNCOMMITTED)) {
            this.partitions = Topics.partitionsOf(reader, topics.states);
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
    }

    /** Per partition, the end of what was written, committed, aborted or still open. */
    Map<TopicPartition, Long> written() {
        return endOffsets(IsolationLevel.READ_UNCOMMITTED);
    }

    /** Per partition, how far a read_committed reader can read now. */
    Map<TopicPartition, Long> readable() {
        return endOffsets(IsolationLevel.READ_COMMITTED);
    }

    private Map<TopicPartition, Long> endOffsets(IsolationLevel isolation) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(partition -> latest.put(partition, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((partition, info) -> ends.put(partition, info.offset()));
            return ends;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while reading the end offsets of the states topic", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("could not read the end offsets of the states topic", e);
        }
    }

    /**
     * The partitions where a read_committed reader is held back from records already written: an open transaction
     * has events there. (Written is asked first: what was written then and is still not readable after is held.)
     */
    Set<TopicPartition> heldBack() {
        Map<TopicPartition, Long> written = written();
        Map<TopicPartition, Long> readable = readable();
        return partitions.stream().filter(p -> readable.get(p) < written.get(p))
                .collect(Collectors.toCollection(() -> new TreeSet<>(
                        (a, b) -> Integer.compare(a.partition(), b.partition()))));
    }

    /**
     * Whether a read_committed reader can now read past {@code marks} on every partition: every transaction that
     * had written below them is decided (committed or aborted).
     */
    boolean readablePast(Map<TopicPartition, Long> marks) {
        Map<TopicPartition, Long> readable = readable();
        return marks.entrySet().stream().allMatch(mark -> readable.get(mark.getKey()) >= mark.getValue());
    }

    /**
     * Waits, polling every 100 ms, until a read_committed reader can read past {@code marks} on every partition;
     * returns the time from {@code sinceNanos} ({@link System#nanoTime()}) to the first poll that saw it. Fails if that
     * does not happen within {@code atMost}.
     */
    Duration awaitReadablePast(Map<TopicPartition, Long> marks, long sinceNanos, Duration atMost) {
        long[] seen = new long[1];
        // In this thread: the consumers are not thread-safe.
        await("read_committed readers get past " + marks).pollInSameThread().pollInterval(Duration.ofMillis(100))
                .atMost(atMost).until(() -> {
                    boolean past = readablePast(marks);
                    if (past) {
                        seen[0] = System.nanoTime();
                    }
                    return past;
                });
        return Duration.ofNanos(seen[0] - sinceNanos);
    }

    @Override
    public void close() {
        admin.close();
    }
}
