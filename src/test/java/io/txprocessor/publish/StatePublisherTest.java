package io.txprocessor.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.transaction.TestTransactionsConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The dead-letter path and publishing must not throw at their caller: the engine finishes a record only in the
 * callback of the future they return, so an exception instead of a failed future leaves the record unfinished for
 * ever and holds its partition's commits back. No broker: the producer points at a port nobody listens on.
 */
class StatePublisherTest {

    private StatePublisher publisher;

    @AfterEach
    void closePublisher() {
        if (publisher != null) {
            publisher.close();
        }
    }

    @Test
    void deadLetterHeadersOfATombstoneWhoseValueIsOmittedSayThereWasNoValue() {
        ConsumerRecord<byte[], byte[]> tombstone = new ConsumerRecord<>("transactions", 2, 41L, utf8("acc-1"), null);

        Headers headers = DeadLetters.headers(tombstone, "null-value", "the record has no value", true);

        assertThat(header(headers, DeadLetters.DLQ_REASON)).isEqualTo("null-value");
        assertThat(header(headers, DeadLetters.DLQ_OFFSET)).isEqualTo("41");
        assertThat(header(headers, DeadLetters.DLQ_VALUE_OMITTED)).isNotBlank();
    }

    @Test
    void deadLetterReasonAndCauseHeadersAreBounded() {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("transactions", 0, 3L, utf8("acc-1"),
                utf8("{}"));

        Headers headers = DeadLetters.headers(record, "r".repeat(3_000), "c".repeat(5_000_000), false);

        assertThat(header(headers, DeadLetters.DLQ_CAUSE)).hasSizeLessThanOrEqualTo(1024)
                .endsWith("…(truncated, 5000000 chars)");
        assertThat(header(headers, DeadLetters.DLQ_REASON)).hasSizeLessThanOrEqualTo(1024)
                .endsWith("…(truncated, 3000 chars)");
    }

    @Test
    void deadLetteringATombstoneWithoutItsValueReturnsAFutureInsteadOfThrowing() {
        publisher = unreachablePublisher();
        ConsumerRecord<byte[], byte[]> tombstone = new ConsumerRecord<>("transactions", 0, 5L, utf8("acc-1"), null);

        Throwable thrown = catchThrowable(() -> publisher.deadLetter(tombstone, "null-value", "no value", true));

        assertThat(thrown).isNull();
    }

    @Test
    void publishingAnEventThatCannotBeSentFailsTheFutureInsteadOfThrowing() {
        publisher = unreachablePublisher();
        StateEvent withoutId = new StateEvent(null, "acc-1", State.COMPLETED, null, "transactions", 0, 1L, "host",
                Instant.now(), Instant.now());

        AtomicReference<CompletableFuture<Void>> acked = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> acked.set(publisher.publish(withoutId)));

        assertThat(thrown).isNull();
        assertThat(acked.get()).isCompletedExceptionally();
    }

    @Test
    void publishingDetachedAfterCloseFailsTheFutureInsteadOfThrowing() {
        publisher = unreachablePublisher();
        publisher.close();
        StateEvent suspended = new StateEvent("tx-1", "acc-1", State.SUSPENDED, "shutdown", "transactions", 0, 1L,
                "host", Instant.now(), Instant.now());

        AtomicReference<CompletableFuture<Void>> acked = new AtomicReference<>();
        Throwable thrown = catchThrowable(() -> acked.set(publisher.detached(() -> publisher.publish(suspended))));

        assertThat(thrown).isNull();
        assertThat(acked.get()).isCompletedExceptionally();
    }

    /** A publisher whose broker does not answer, and which gives up on it quickly. */
    private static StatePublisher unreachablePublisher() {
        TransactionsConfig config = TestTransactionsConfig.with(Map.of("transactions.publish-timeout", "200ms"));
        return new StatePublisher(config,
                new KafkaProducer<>(ProducerSettings.of(Map.of("bootstrap.servers", "localhost:1"), config),
                        new ByteArraySerializer(), new ByteArraySerializer()));
    }

    private static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
