package io.txprocessor.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Input written by a transactional producer (Kafka Streams, a transactional outbox, MirrorMaker 2 with exactly-once):
 * records of aborted transactions must never be processed, and the commit must reach the end of each partition, past
 * the transaction markers, so the group's lag goes to 0. (The broker's transaction state log settings for a single
 * node are in {@link KafkaBroker}.)
 */
@ExtendWith(SharedBroker.class)
class TransactionalInputIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    private static final int TRANSACTIONS = 10;
    private static final int RECORDS_PER_TRANSACTION = 6;

    @Test
    void recordsOfAbortedTransactionsAreNeverProcessedAndTheCommitReachesTheEndOfEveryPartition(KafkaBroker broker) {
        Topics topics = new Topics(broker, "transactional", PARTITIONS);
        Written written = produceTransactionally(broker, topics);
        assertThat(written.committed).isNotEmpty();
        assertThat(written.aborted).isNotEmpty();
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");

        try (ServiceProcess service = ServiceProcess.start("transactional-input", env)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> topics.countByState(topics.stateEvents(), "COMPLETED")
                    .keySet().containsAll(written.committed));
            // Whatever the service reads, its commit passes every data record of every partition once it has
            // finished them all: from then on, the outcome of each record it processed is on the states topic.
            await("the commit to pass the last data record of every partition").atMost(Duration.ofSeconds(60))
                    .until(() -> {
                        Map<TopicPartition, OffsetAndMetadata> committed = topics.committed();
                        return written.lastDataOffset.entrySet().stream()
                                .allMatch(last -> committed.containsKey(last.getKey())
                                        && committed.get(last.getKey()).offset() > last.getValue());
                    });
            Map<TopicPartition, Long> end = topics.endOffsets();

            List<JsonNode> events = topics.stateEvents();
            SoftAssertions softly = new SoftAssertions();
            softly.assertThat(topics.countByState(events, "COMPLETED"))
                    .as("COMPLETED events per id of a committed transaction")
                    .containsAllEntriesOf(once(written.committed));
            softly.assertThat(events.stream().filter(e -> written.aborted.contains(e.path("id").asText()))
                    .map(e -> e.path("id").asText() + " " + e.path("state").asText() + " (partition "
                            + e.path("partition").asInt() + ", offset " + e.path("offset").asLong() + ")")
                    .sorted().toList())
                    .as("state events for records of aborted transactions").isEmpty();
            softly.assertThat(deadLetteredIds(topics)).as("dead letters for records of aborted transactions")
                    .doesNotContainAnyElementsOf(written.aborted);
            softly.assertThat(committedOffsetsOnceSettled(topics, end, Duration.ofSeconds(30)))
                    .as("the group's committed offset per partition (lag 0: the end offset, markers included)")
                    .isEqualTo(end);
            softly.assertAll();

            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).as("exit status").isZero();
        }
    }

    /** What the transactional producer wrote: ids per outcome, and each partition's last data (non-marker) offset. */
    private record Written(Set<String> committed, Set<String> aborted, Map<TopicPartition, Long> lastDataOffset) {
    }

    /**
     * Interleaved committed and aborted transactions, every one with records on every partition, the last one
     * aborted: each partition ends with an abort marker after records no one may process.
     */
    private static Written produceTransactionally(KafkaBroker broker, Topics topics) {
        Set<String> committed = new HashSet<>();
        Set<String> aborted = new HashSet<>();
        Map<TopicPartition, Long> lastDataOffset = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "upstream-" + topics.input,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int t = 0; t < TRANSACTIONS; t++) {
                // Committed, aborted, committed, committed, aborted, ... and the last one aborted.
                boolean abort = t == TRANSACTIONS - 1 || t % 3 == 1;
                producer.beginTransaction();
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (int r = 0; r < RECORDS_PER_TRANSACTION; r++) {
                    String id = String.format("%s-%02d-%d", abort ? "aborted" : "committed", t, r);
                    String account = "acc-" + (t * RECORDS_PER_TRANSACTION + r) % 13;
                    (abort ? aborted : committed).add(id);
                    sent.add(producer.send(new ProducerRecord<>(topics.input, r % PARTITIONS, utf8(account),
                            utf8(Topics.transaction(id, account)))));
                }
                producer.flush();
                for (Future<RecordMetadata> future : sent) {
                    RecordMetadata metadata = future.get(30, TimeUnit.SECONDS);
                    lastDataOffset.merge(new TopicPartition(metadata.topic(), metadata.partition()), metadata.offset(),
                            Math::max);
                }
                if (abort) {
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
        } catch (Exception e) {
            throw new AssertionError("the transactional producer failed", e);
        }
        return new Written(committed, aborted, lastDataOffset);
    }

    /**
     * The group's committed offsets, read until they equal {@code expected} or {@code timeout} passes (the periodic
     * commit may still be on its way): the last ones read.
     */
    private static Map<TopicPartition, Long> committedOffsetsOnceSettled(Topics topics,
            Map<TopicPartition, Long> expected, Duration timeout) {
        Map<TopicPartition, Long> last = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
        try {
            await().pollInSameThread().atMost(timeout).until(() -> {
                last.clear();
                topics.committed().forEach((tp, offset) -> last.put(tp, offset.offset()));
                return last.equals(expected);
            });
        } catch (ConditionTimeoutException e) {
            // the assertion on the result says what is missing
        }
        return last;
    }

    private static Set<String> deadLetteredIds(Topics topics) {
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : topics.deadLetterRecords()) {
            try {
                ids.add(JSON.readTree(record.value()).path("id").asText());
            } catch (IOException e) {
                ids.add(new String(record.value(), StandardCharsets.UTF_8));
            }
        }
        return ids;
    }

    private static Map<String, Long> once(Set<String> ids) {
        Map<String, Long> once = new HashMap<>();
        ids.forEach(id -> once.put(id, 1L));
        return once;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
