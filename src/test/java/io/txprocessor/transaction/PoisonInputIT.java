package io.txprocessor.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.publish.DeadLetters;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Every kind of bad input a producer upstream can send, mixed with good transactions on one partition, through
 * one run of the packaged service against the real broker. Each kind is then checked by its own test.
 */
@ExtendWith(SharedBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoisonInputIT {

    /** A little under the broker's default message.max.bytes (1048588): the dead letter's headers tip it over. */
    private static final int NEAR_LIMIT = 1_048_400;

    /** Bad records by kind: key and value as produced, and the reason the dead letter must name. */
    private record Bad(String kind, byte[] key, byte[] value, String reason) {
    }

    private final Map<String, Bad> bad = new LinkedHashMap<>();
    private final List<String> goodIds = new ArrayList<>();
    private Topics topics;
    private List<JsonNode> events;
    private List<ConsumerRecord<byte[], byte[]>> deadLetters;
    private int exitStatus;

    static Stream<String> badKinds() {
        return Stream.of("not JSON", "missing field", "malformed amount", "invalid currency", "empty value",
                "not UTF-8", "null value (tombstone)", "JSON array", "JSON number", "near the size limit",
                "two JSON documents", "oversized id", "oversized account");
    }

    @BeforeAll
    void runTheServiceOverMixedInput(KafkaBroker broker) {
        topics = new Topics(broker, "poison", 1);
        addBad("not JSON", "{\"id\": tx-1, oops", "not-json");
        addBad("missing field", "{\"account\":\"acc-1\",\"amount\":\"1.00\",\"currency\":\"EUR\"}", "missing-id");
        addBad("malformed amount", "{\"id\":\"b-3\",\"account\":\"acc-1\",\"amount\":\"1,5\",\"currency\":\"EUR\"}",
                "invalid-amount");
        addBad("invalid currency", "{\"id\":\"b-4\",\"account\":\"acc-1\",\"amount\":\"1\",\"currency\":\"E\"}",
                "invalid-currency");
        bad.put("empty value", new Bad("empty value", utf8("acc-1"), new byte[0], "empty-value"));
        bad.put("not UTF-8", new Bad("not UTF-8", utf8("acc-1"), new byte[]{'{', (byte) 0xFF, (byte) 0xFE, '}'},
                "not-utf8"));
        bad.put("null value (tombstone)", new Bad("null value (tombstone)", utf8("acc-1"), null, "null-value"));
        addBad("JSON array", "[{\"id\":\"b-8\"}]", "not-an-object");
        addBad("JSON number", "12345", "not-an-object");
        byte[] huge = new byte[NEAR_LIMIT];
        Arrays.fill(huge, (byte) 'x');
        huge[0] = '{';
        bad.put("near the size limit", new Bad("near the size limit", utf8("acc-1"), huge, "not-json"));
        // Not the first document processed and the second dropped: the whole value is bad input.
        addBad("two JSON documents", Topics.transaction("b-11", "acc-1") + Topics.transaction("b-12", "acc-1"),
                "trailing-content");
        // A few hundred KB each: far above the default maxima, well below the broker's size limit.
        addBad("oversized id", Topics.transaction("i".repeat(300_000), "acc-1"), "id-too-long");
        addBad("oversized account", Topics.transaction("b-14", "a".repeat(300_000)), "account-too-long");

        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            int n = 0;
            for (Bad record : bad.values()) {
                sendGood(producer, n++, "acc-1");
                producer.send(new ProducerRecord<>(topics.input, record.key(), record.value()));
            }
            // A null key is not poison: the account in the value is the ordering key.
            sendGood(producer, n++, null);
            // A valid transaction near the size limit, padded with an unknown field.
            String id = "tx-big";
            String padded = Topics.transaction(id, "acc-2").replace("}", ",\"pad\":\"" + "p".repeat(NEAR_LIMIT - 200)
                    + "\"}");
            producer.send(new ProducerRecord<>(topics.input, utf8("acc-2"), utf8(padded)));
            goodIds.add(id);
            // The same transaction id twice: each record is processed, with the same idempotency key.
            String duplicate = Topics.transaction("tx-dup", "acc-3");
            producer.send(new ProducerRecord<>(topics.input, utf8("acc-3"), utf8(duplicate)));
            producer.send(new ProducerRecord<>(topics.input, utf8("acc-3"), utf8(duplicate)));
            // A handler that throws for one record.
            producer.send(new ProducerRecord<>(topics.input, utf8("acc-4"),
                    utf8(Topics.transaction("tx-fail-1", "acc-4"))));
            for (int i = 0; i < 5; i++) {
                sendGood(producer, n++, "acc-1");
            }
            producer.flush();
        }

        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        env.put("TRANSACTIONS_SIMULATED_FAILURES", "tx-fail-.*");
        try (ServiceProcess service = ServiceProcess.start("poison", env)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> committedToTheEnd());
            service.sigterm();
            exitStatus = service.awaitExit(Duration.ofSeconds(30));
        }
        events = topics.stateEvents();
        deadLetters = topics.deadLetterRecords();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKinds")
    void eachBadRecordIsDeadLetteredOnceUnchangedWithHeadersNamingTheErrorAndTheSource(String kind) {
        Bad expected = bad.get(kind);
        List<ConsumerRecord<byte[], byte[]>> matching = deadLetters.stream()
                .filter(r -> expected.reason().equals(header(r, DeadLetters.DLQ_REASON)))
                .filter(r -> sameValue(r, expected))
                .toList();
        assertThat(matching).as("dead letters for %s", kind).hasSize(1);
        ConsumerRecord<byte[], byte[]> letter = matching.get(0);
        assertThat(header(letter, DeadLetters.DLQ_TOPIC)).isEqualTo(topics.input);
        assertThat(header(letter, DeadLetters.DLQ_PARTITION)).isEqualTo("0");
        assertThat(header(letter, DeadLetters.DLQ_OFFSET)).matches("\\d+");
        assertThat(header(letter, DeadLetters.DLQ_CAUSE)).isNotBlank().hasSizeLessThanOrEqualTo(1024);
        assertThat(letter.key()).isEqualTo(expected.key());
    }

    @Test
    void noOtherRecordIsDeadLettered() {
        assertThat(deadLetters).hasSize(bad.size());
    }

    @Test
    void aDeadLetterTooLargeToForwardKeepsItsHeadersAndSaysWhereTheValueIs() {
        ConsumerRecord<byte[], byte[]> letter = deadLetters.stream()
                .filter(r -> header(r, DeadLetters.DLQ_VALUE_OMITTED) != null)
                .findFirst()
                .orElseThrow(() -> new AssertionError("the near-limit dead letter (" + NEAR_LIMIT
                        + " bytes plus headers) should have been forwarded without its value"));
        assertThat(letter.value()).isNull();
        assertThat(header(letter, DeadLetters.DLQ_OFFSET)).matches("\\d+");
    }

    @Test
    void everyGoodTransactionIsCompletedAndNothingBlocksThePartition() {
        Map<String, Long> completed = topics.countByState(events, "COMPLETED");
        assertThat(completed).containsKeys(goodIds.toArray(String[]::new));
        goodIds.forEach(id -> assertThat(completed.get(id)).as(id).isOne());
    }

    @Test
    void duplicateTransactionIdsAreEachProcessedUnderTheSameIdempotencyKey() {
        List<JsonNode> duplicates = events.stream().filter(e -> e.path("id").asText().equals("tx-dup")).toList();
        assertThat(duplicates).hasSize(2).allMatch(e -> e.path("state").asText().equals("COMPLETED"));
        assertThat(duplicates.get(0).path("offset").asLong()).isNotEqualTo(duplicates.get(1).path("offset").asLong());
    }

    @Test
    void aHandlerThatThrowsGivesOneFailedEventWithTheReasonAndIsNotRetried() {
        List<JsonNode> failed = events.stream().filter(e -> e.path("id").asText().equals("tx-fail-1")).toList();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).path("state").asText()).isEqualTo("FAILED");
        assertThat(failed.get(0).path("reason").asText()).contains("simulated failure");
    }

    @Test
    void committedOffsetsReachTheEndOfTheTopicAndTheServiceExitsCleanly() {
        assertThat(committedToTheEnd()).isTrue();
        assertThat(exitStatus).isZero();
    }

    private boolean committedToTheEnd() {
        var committed = topics.committed();
        return topics.endOffsets().entrySet().stream()
                .allMatch(end -> committed.containsKey(end.getKey())
                        && committed.get(end.getKey()).offset() == end.getValue());
    }

    private void addBad(String kind, String value, String reason) {
        bad.put(kind, new Bad(kind, utf8("acc-1"), utf8(value), reason));
    }

    private void sendGood(KafkaProducer<byte[], byte[]> producer, int n, String account) {
        String id = "tx-good-" + n;
        goodIds.add(id);
        producer.send(new ProducerRecord<>(topics.input, account == null ? null : utf8(account),
                utf8(Topics.transaction(id, account == null ? "acc-null-key" : account))));
    }

    private static boolean sameValue(ConsumerRecord<byte[], byte[]> letter, Bad expected) {
        if (header(letter, DeadLetters.DLQ_VALUE_OMITTED) != null) {
            return expected.value() != null && expected.value().length == NEAR_LIMIT;
        }
        return Arrays.equals(letter.value(), expected.value());
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
