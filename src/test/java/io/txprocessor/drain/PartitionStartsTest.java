package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.txprocessor.engine.EngineGraph;
import io.txprocessor.engine.PartitionStarts;
import io.txprocessor.engine.PartitionWork;
import io.txprocessor.engine.PollWatch;
import io.txprocessor.engine.ProcessingEngine;
import io.txprocessor.testing.TestConfig;
import io.txprocessor.transaction.TestTransactionsConfig;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The pure logic of an assignment whose start cannot be looked up (the broker times out {@code committed()}, which a
 * real broker does not do on demand), on Kafka's {@code MockConsumer} with the real engine behind it: the partition
 * is paused and looked up again, and nothing fetched meanwhile is dropped or committed past. The drains' claims are
 * proved against the real broker: {@code RebalanceDrainIT}, {@code LostPartitionsIT}, {@code LossDetectorIT}.
 */
class PartitionStartsTest {

    private static final TopicPartition P0 = new TopicPartition("transactions", 0);
    private static final TopicPartition P1 = new TopicPartition("transactions", 1);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    private final AtomicInteger lookUpFailures = new AtomicInteger();
    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest") {
        @Override
        public synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions,
                Duration timeout) {
            if (lookUpFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TimeoutException("the group coordinator did not answer in time");
            }
            return super.committed(partitions, timeout);
        }
    };
    private TransactionsConfig config;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** What stamps every polled record, as inside the consumer's {@code poll()}. */
    private final PollWatch.Interceptor interceptor = new PollWatch.Interceptor();
    private EngineGraph graph;
    private ProcessingEngine engine;
    private PartitionWork work;
    private PartitionStarts starts;
    private RebalanceDrain drain;

    private void start(TransactionHandler handler) {
        config = TestTransactionsConfig.with(Map.of());
        DrainConfig drainConfig = TestConfig.mapping(DrainConfig.class, Map.of("drain.rebalance-timeout", "5s"));
        graph = new EngineGraph(config, drainConfig, producer, handler, registry, status -> {
        });
        engine = graph.engine;
        work = graph.partitionWork;
        interceptor.configure(Map.of("txprocessor.poll-watch", graph.watch));
        starts = graph.starts;
        drain = graph.drain;
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        consumer.assign(List.of(P0, P1));
        drain.onPartitionsAssigned(consumer, List.of(P0, P1));
    }

    @AfterEach
    void stop() {
        if (graph != null) {
            graph.close();
        }
    }

    /** One record as a poll returns it: through the consumer's interceptor, then to the engine. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void submit(TopicPartition partition, long offset, String id) {
        String value = "{\"id\":\"" + id + "\",\"account\":\"acc-" + id
                + "\",\"amount\":\"1.00\",\"currency\":\"EUR\"}";
        ConsumerRecords<byte[], byte[]> polled = new ConsumerRecords<>(Map.of(partition,
                List.of(new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                        ("acc-" + id).getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)))),
                Map.of());
        interceptor.onConsume((ConsumerRecords) polled);
        engine.submit(polled);
    }

    /**
     * What the connector does once it resumed a partition: fetches {@code count} records from the consumer's position
     * and hands them over, the position moving past them. Ids are {@code r-<partition>-<offset>}.
     */
    private void fetch(TopicPartition partition, int count) {
        long from = consumer.position(partition);
        for (long offset = from; offset < from + count; offset++) {
            submit(partition, offset, "r-" + partition.partition() + "-" + offset);
        }
        consumer.seek(partition, from + count);
    }

    /** drain_records_suspended_total{trigger}; 0 while nothing registered it. */
    private double handedOffCount(String trigger) {
        var counter = registry.find("drain.records.suspended").tag("trigger", trigger).functionCounter();
        return counter == null ? 0 : counter.count();
    }

    private List<JsonNode> events(String state) {
        return producer.history().stream().map(ProducerRecord::value).map(PartitionStartsTest::json)
                .filter(event -> event.path("state").asText().equals(state)).toList();
    }

    private static JsonNode json(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPartitionWhoseStartCannotBeLookedUpIsPausedAndLookedUpAgainNeverDropped() {
        lookUpFailures.set(1);
        start((transaction, context) -> {
        });

        assertThat(work.assignedPartitions()).as("the engine does not know them yet").isEmpty();
        assertThat(consumer.paused()).containsExactlyInAnyOrder(P0, P1);
        assertThat(starts.pending()).containsExactlyInAnyOrder(P0, P1);

        starts.retry(consumer);

        assertThat(work.assignedPartitions()).containsExactlyInAnyOrder(P0, P1);
        assertThat(consumer.paused()).isEmpty();
        submit(P0, 0, "after-retry");
        await().atMost(Duration.ofSeconds(30)).until(() -> events("COMPLETED").size() == 1);
    }

    @ParameterizedTest(name = "committed offset: {0}")
    @ValueSource(booleans = {false, true})
    void recordsFetchedWhileAPartitionsStartWasUnknownAreFetchedAgainNeverCommittedPast(boolean committedBefore) {
        if (committedBefore) {
            consumer.commitSync(Map.of(P0, new OffsetAndMetadata(0)));
        }
        lookUpFailures.set(1);
        start((transaction, context) -> {
        });
        // The connector resumes every assigned partition when its queue drains (pause-if-no-requests), so P0 is
        // fetched although its start is unknown: these three are dropped, and the consumer's position passes them.
        consumer.resume(Set.of(P0));
        fetch(P0, 3);

        starts.retry(consumer);
        fetch(P0, 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> events("COMPLETED").size() >= 3);

        assertThat(events("COMPLETED")).extracting(event -> event.path("id").asText())
                .as("completed after the look-up succeeded").containsExactlyInAnyOrder("r-0-0", "r-0-1", "r-0-2");
        assertThat(work.commitOffsets(P0::equals, false).get(P0).offset()).as("what a commit of P0 would say")
                .isEqualTo(3);
    }
}
