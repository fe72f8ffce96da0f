package io.txprocessor.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.txprocessor.testing.KafkaTestResource;
import io.txprocessor.testing.Topics;

/**
 * A record that is not a transaction reaches the dead-letter topic unchanged (key, value, its own headers) with the
 * headers that say why and where it came from, through the running service and a real broker.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class DeadLetterHeadersTest {

    Topics topics;

    @Test
    void unparseableInputIsDeadLetteredUnchangedWithReasonCauseAndSource() throws Exception {
        String key = "acct-dlq-" + UUID.randomUUID();
        byte[] value = "this is not JSON".getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> input = new ProducerRecord<>(topics.input, utf8(key), value);
        input.headers().add("trace-id", utf8("abc-123"));
        RecordMetadata written;
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            written = producer.send(input).get(30, TimeUnit.SECONDS);
        }

        ConsumerRecord<byte[], byte[]> letter = await().atMost(Duration.ofSeconds(30))
                .until(() -> deadLetterWithKey(key), Optional::isPresent).orElseThrow();

        assertThat(letter.value()).isEqualTo(value);
        Map<String, String> headers = new TreeMap<>();
        for (Header header : letter.headers()) {
            headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        assertThat(headers).containsEntry("trace-id", "abc-123")
                .containsEntry(DeadLetters.DLQ_REASON, "not-json")
                .containsEntry(DeadLetters.DLQ_TOPIC, topics.input)
                .containsEntry(DeadLetters.DLQ_PARTITION, Integer.toString(written.partition()))
                .containsEntry(DeadLetters.DLQ_OFFSET, Long.toString(written.offset()))
                .doesNotContainKey(DeadLetters.DLQ_VALUE_OMITTED);
        assertThat(headers.get(DeadLetters.DLQ_CAUSE)).startsWith("the value is not JSON");
    }

    private Optional<ConsumerRecord<byte[], byte[]>> deadLetterWithKey(String key) {
        return topics.deadLetterRecords().stream()
                .filter(record -> record.key() != null && key.equals(new String(record.key(), StandardCharsets.UTF_8)))
                .findFirst();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
