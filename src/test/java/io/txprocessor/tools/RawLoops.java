package io.txprocessor.tools;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.publish.StateEventJson;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.Topics;
import io.txprocessor.transaction.TestTransactionsConfig;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionParser;

/**
 * The benchmark's raw {@code kafka-clients} loops, the same job as the service's with nothing around it: consume,
 * parse each record with the service's {@link TransactionParser}, build the same {@link StateEvent} and serialize it
 * as the service's {@code StatePublisher} does ({@link StateEventJson}), send it to the states topic, commit the offsets, at least once. Each
 * runs on the benchmark's own thread over every record of the topic and is timed over the second half, once warm.
 */
final class RawLoops {

    private static final PrintStream OUT = System.out;

    /** How a flush-per-poll loop's clients are set. */
    enum FlushPerPoll {
        /** As a Kafka engineer would tune it for this job. */
        TUNED(1000, 5, 64 * 1024),
        /** The clients' defaults, but for a 2 ms linger. */
        NAIVE(500, 2, 16 * 1024);

        final int maxPollRecords;
        final int lingerMs;
        final int batchSize;

        FlushPerPoll(int maxPollRecords, int lingerMs, int batchSize) {
            this.maxPollRecords = maxPollRecords;
            this.lingerMs = lingerMs;
            this.batchSize = batchSize;
        }
    }

    private final KafkaBroker broker;
    private final int records;
    private final TransactionParser parser = new TransactionParser(new ObjectMapper(),
            TestTransactionsConfig.with(Map.of()));
    RawLoops(KafkaBroker broker, int records) {
        this.broker = broker;
        this.records = records;
    }

    /**
     * The ceiling, (a): the loop a Kafka engineer writes for throughput, which never blocks on the broker. One thread
     * polls (up to 1,000 records), parses, builds and serializes each state event, sends it asynchronously (acks=all,
     * idempotent; linger 5 ms and 128 KiB batches, so that a poll's 1,000 events go out in a few requests), and
     * commits asynchronously a poll's offsets once every send of that poll and of every poll before it has been
     * acknowledged: each poll keeps a count of its outstanding sends, the polls wait in a queue in order, and each
     * pass commits the longest acknowledged prefix. At the end one {@code flush} and one {@code commitSync}. At least
     * once: no offset is committed before its state event is on the broker.
     *
     * <p>
     * CPU per record is this JVM's own (utime + stime) over the timed half: the loop is all that runs in it then (the
     * broker is a JVM of its own, the records were written before, no service is running), so it is the loop's cost,
     * the producer's and consumer's I/O threads, the JIT and the GC included, as the service's figure includes its own.
     */
    Measured pipelined(Topics topics) throws Exception {
        OUT.println("== (a) pipelined raw kafka-clients loop");
        String group = topics.group + "-raw-pipelined";
        AtomicReference<Exception> failure = new AtomicReference<>();
        ArrayDeque<PollSends> unacknowledged = new ArrayDeque<>();
        long produced = 0;
        SecondHalf timed = new SecondHalf(records);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(group, 1000);
                KafkaProducer<byte[], byte[]> producer = producer(5, 128 * 1024)) {
            consumer.subscribe(List.of(topics.input));
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (produced < records && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(50));
                throwIfFailed(failure);
                if (!polled.isEmpty()) {
                    timed.startAt(produced);
                    PollSends poll = new PollSends(polled);
                    unacknowledged.add(poll);
                    for (ConsumerRecord<byte[], byte[]> record : polled) {
                        producer.send(stateEvent(topics, record), (metadata, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                            poll.acknowledged();
                        });
                        produced++;
                    }
                }
                Map<TopicPartition, OffsetAndMetadata> ready = acknowledgedPrefix(unacknowledged);
                if (!ready.isEmpty()) {
                    consumer.commitAsync(ready, (offsets, e) -> {
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        }
                    });
                }
            }
            producer.flush();
            timed.end();
            throwIfFailed(failure);
            Map<TopicPartition, OffsetAndMetadata> rest = acknowledgedPrefix(unacknowledged);
            if (!unacknowledged.isEmpty()) {
                throw new IllegalStateException(unacknowledged.size() + " polls still unacknowledged after flush");
            }
            consumer.commitSync(rest);
            throwIfFailed(failure);
        }
        requireAll(produced, "pipelined");
        return timed.measured(produced);
    }

    /**
     * The loop that was the ceiling before (a''), and (a') with the clients' defaults: one flush, then one
     * commitSync, per poll. At least once, but each poll waits for the broker twice.
     */
    Measured flushPerPoll(Topics topics, FlushPerPoll settings) throws Exception {
        OUT.println("== raw kafka-clients loop, flush and commitSync per poll, " + settings);
        String group = topics.group + "-raw-" + settings.name().toLowerCase(Locale.ROOT);
        long produced = 0;
        SecondHalf timed = new SecondHalf(records);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(group, settings.maxPollRecords);
                KafkaProducer<byte[], byte[]> producer = producer(settings.lingerMs, settings.batchSize)) {
            consumer.subscribe(List.of(topics.input));
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (produced < records && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> polled = consumer.poll(Duration.ofMillis(200));
                if (polled.isEmpty()) {
                    continue;
                }
                timed.startAt(produced);
                for (ConsumerRecord<byte[], byte[]> record : polled) {
                    producer.send(stateEvent(topics, record));
                    produced++;
                }
                // At least once: the state events are on the broker before their offsets are committed.
                producer.flush();
                consumer.commitSync(new PollSends(polled).offsets);
            }
            timed.end();
        }
        requireAll(produced, settings.name());
        return timed.measured(produced);
    }

    private void requireAll(long produced, String loop) {
        if (produced < records) {
            throw new IllegalStateException("the " + loop + " raw loop sent " + produced + " of " + records
                    + " state events in 5 minutes");
        }
    }

    private ProducerRecord<byte[], byte[]> stateEvent(Topics topics, ConsumerRecord<byte[], byte[]> record)
            throws Exception {
        Transaction tx = parser.parse(record.value());
        Instant now = Instant.now();
        StateEvent event = new StateEvent(tx.id(), tx.account(), State.COMPLETED, null, record.topic(),
                record.partition(), record.offset(), "raw", now, now);
        return new ProducerRecord<>(topics.states, tx.id().getBytes(StandardCharsets.UTF_8), serialize(event));
    }

    /**
     * The state event's bytes as {@code StatePublisher} writes them ({@link StateEventJson}): if the service's
     * serializer changes, this follows it, so the ceiling does the service's work, nothing less.
     */
    private static byte[] serialize(StateEvent event) {
        return StateEventJson.bytes(event);
    }

    private KafkaConsumer<byte[], byte[]> consumer(String group, int maxPollRecords) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> producer(int lingerMs, int batchSize) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, lingerMs,
                ProducerConfig.BATCH_SIZE_CONFIG, batchSize),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * The offsets of the polls at the head of the queue whose sends are all acknowledged, the later ones over the
     * earlier; those polls leave the queue. Empty when the head poll still waits for an acknowledgement.
     */
    private static Map<TopicPartition, OffsetAndMetadata> acknowledgedPrefix(ArrayDeque<PollSends> polls) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        while (!polls.isEmpty() && polls.peekFirst().done()) {
            offsets.putAll(polls.pollFirst().offsets);
        }
        return offsets;
    }

    private static void throwIfFailed(AtomicReference<Exception> failure) {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("the pipelined raw loop failed a send or a commit", e);
        }
    }

    /**
     * Times a loop over the second half of its records, and samples this JVM's CPU at the same two moments. Used on
     * the loop's thread only.
     */
    private static final class SecondHalf {
        private final int records;
        private long startNanos;
        private long startCount;
        private long startTicks = -1;
        private long endNanos;
        private long endTicks = -1;

        SecondHalf(int records) {
            this.records = records;
        }

        /** Before a poll's records are handled: starts the clock once half of the records are done (warm). */
        void startAt(long produced) {
            if (startNanos == 0 && produced >= records / 2) {
                startNanos = System.nanoTime();
                startCount = produced;
                startTicks = ProcessCpu.ownTicks();
            }
        }

        /** Once every state event of the run is on the broker. */
        void end() {
            endNanos = System.nanoTime();
            endTicks = ProcessCpu.ownTicks();
        }

        Measured measured(long produced) {
            double rate = (produced - startCount) / ((endNanos - startNanos) / 1e9);
            double cpu = ProcessCpu.microsPerRecord(startTicks, endTicks, produced - startCount);
            OUT.printf("   %,.0f records/s over the second half, CPU %.1f µs/record%n", rate, cpu);
            return new Measured(rate, cpu);
        }
    }

    /**
     * One poll: the offsets to commit once it is done (per partition, after its last record), and how many of its
     * sends the broker has not acknowledged yet (counted down on the producer's I/O thread).
     */
    private static final class PollSends {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        private final AtomicInteger outstanding;

        PollSends(ConsumerRecords<byte[], byte[]> polled) {
            outstanding = new AtomicInteger(polled.count());
            for (TopicPartition partition : polled.partitions()) {
                List<ConsumerRecord<byte[], byte[]>> records = polled.records(partition);
                offsets.put(partition, new OffsetAndMetadata(records.get(records.size() - 1).offset() + 1));
            }
        }

        void acknowledged() {
            outstanding.decrementAndGet();
        }

        boolean done() {
            return outstanding.get() == 0;
        }
    }
}
