package io.txprocessor.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import io.confluent.parallelconsumer.PollContext;

/**
 * The benchmark's peer (io.txprocessor.tools.Benchmark, {@code -Pbenchmark} only, never shipped): Confluent Parallel
 * Consumer 0.5.3.3 doing this service's job, in its own JVM on kafka-clients 3.9.1 (target/peer-lib). It reads
 * transactions, parses each, optionally waits {@code workMs} (the simulated I/O of the service's
 * {@code TRANSACTIONS_PROCESSING_TIME}), and publishes a state event with the service's fields to the states topic,
 * key-ordered ({@link ProcessingOrder#KEY}), committing with its fastest at-least-once mode
 * ({@link CommitMode#PERIODIC_CONSUMER_ASYNCHRONOUS}). Runs until SIGTERM; the benchmark counts its state events.
 *
 * <p>
 * Produced with {@link ParallelStreamProcessor#pollAndProduce}, not from a {@code poll} handler with a producer of
 * our own: in 0.5.3.3 the worker that ran the function waits for every send's acknowledgement
 * ({@code Future.get(sendTimeout)} in {@code ParallelEoSStreamProcessor.processAndProduceResults}) before the record
 * counts as succeeded, so an offset is committed only once its state event is on the broker. A fire-and-forget send
 * from {@code poll} would let it commit offsets whose events are still in the producer's buffer: not at least once.
 *
 * <p>
 * Arguments: bootstrap servers, input topic, states topic, group id, max concurrency, work in ms.
 */
public final class ParallelConsumerPeer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ParallelConsumerPeer() {
    }

    /** A state event: the fields of the service's {@code io.txprocessor.publish.StateEvent}, times as ISO-8601. */
    record StateEvent(String id, String account, String state, String topic, int partition, long offset,
            String instance, String at, String startedAt) {
    }

    public static void main(String[] args) throws InterruptedException {
        String bootstrap = args[0];
        String input = args[1];
        String states = args[2];
        String group = args[3];
        int concurrency = Integer.parseInt(args[4]);
        long workMs = Long.parseLong(args[5]);

        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                // Parallel Consumer commits itself, and refuses a consumer that would too.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        // The service's state producer settings (publish.ProducerSettings): acks=all, idempotent, linger 2 ms.
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 2), new ByteArraySerializer(), new ByteArraySerializer());
        ParallelConsumerOptions<byte[], byte[]> options = ParallelConsumerOptions.<byte[], byte[]>builder()
                .ordering(ProcessingOrder.KEY)
                .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
                .maxConcurrency(concurrency)
                .consumer(consumer)
                .producer(producer)
                .build();
        ParallelStreamProcessor<byte[], byte[]> processor = ParallelStreamProcessor.createEosStreamProcessor(options);
        processor.subscribe(List.of(input));
        String instance = "parallel-consumer";
        processor.pollAndProduce(context -> stateEvent(context, states, instance, workMs));
        System.out.printf("peer started: %s -> %s, group %s, KEY, concurrency %d, work %d ms%n", input, states, group,
                concurrency, workMs);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            processor.closeDontDrainFirst(Duration.ofSeconds(10));
            stopped.countDown();
        }, "peer-stop"));
        stopped.await();
    }

    private static ProducerRecord<byte[], byte[]> stateEvent(PollContext<byte[], byte[]> context, String states,
            String instance, long workMs) {
        ConsumerRecord<byte[], byte[]> record = context.getSingleConsumerRecord();
        Instant startedAt = Instant.now();
        JsonNode transaction = parse(record.value());
        String id = text(transaction, "id");
        String account = text(transaction, "account");
        text(transaction, "amount");
        text(transaction, "currency");
        if (workMs > 0) {
            try {
                Thread.sleep(workMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted in the simulated work", e);
            }
        }
        StateEvent event = new StateEvent(id, account, "COMPLETED", record.topic(), record.partition(),
                record.offset(), instance, Instant.now().toString(), startedAt.toString());
        try {
            return new ProducerRecord<>(states, id.getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(event));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(JsonNode transaction, String field) {
        JsonNode node = transaction.get(field);
        if (node == null || !node.isTextual() || node.textValue().isBlank()) {
            throw new IllegalArgumentException("field '" + field + "' is missing or not a string");
        }
        return node.textValue();
    }
}
