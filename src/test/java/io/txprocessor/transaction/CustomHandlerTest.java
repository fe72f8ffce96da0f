package io.txprocessor.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.arc.ClientProxy;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.txprocessor.bundled.SimulatedTransactionHandler;
import io.txprocessor.testing.KafkaTestResource;
import io.txprocessor.testing.Topics;

/**
 * A {@link TransactionHandler} bean of the user's replaces the bundled {@link SimulatedTransactionHandler}, as the
 * README's "Plug in your own handler" promises: the service calls it, with the transaction id as idempotency key,
 * and turns its return into COMPLETED and its exception into FAILED with the message as reason.
 */
@QuarkusTest
@TestProfile(CustomHandlerTest.WithRecordingHandler.class)
@WithTestResource(KafkaTestResource.class)
class CustomHandlerTest {

    /** Enables the test's handler, for this class only. */
    public static class WithRecordingHandler implements QuarkusTestProfile {
        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(RecordingTransactionHandler.class);
        }
    }

    @Inject
    TransactionHandler handler;
    @Inject
    RecordingTransactionHandler recording;

    Topics topics;

    @Test
    void theApplicationsHandlerBeanReplacesTheBundledOne() {
        assertThat(ClientProxy.unwrap(handler)).isInstanceOf(RecordingTransactionHandler.class);
    }

    @Test
    void theCustomHandlerIsCalledWithTheIdAsIdempotencyKeyAndItsOutcomesArePublished() {
        String ok = "ok-" + UUID.randomUUID();
        String declined = "fail-" + UUID.randomUUID();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            producer.send(new ProducerRecord<>(topics.input, utf8("acct-1"), utf8(Topics.transaction(ok, "acct-1"))));
            producer.send(new ProducerRecord<>(topics.input, utf8("acct-2"),
                    utf8(Topics.transaction(declined, "acct-2"))));
        }

        JsonNode completed = await().atMost(Duration.ofSeconds(30)).until(() -> event(ok), e -> e != null);
        JsonNode failed = await().atMost(Duration.ofSeconds(30)).until(() -> event(declined), e -> e != null);

        assertThat(completed.path("state").asText()).isEqualTo("COMPLETED");
        assertThat(failed.path("state").asText()).isEqualTo("FAILED");
        assertThat(failed.path("reason").asText()).contains("declined by the recording handler: " + declined);
        assertThat(recording.calls()).filteredOn(call -> call.id().equals(ok)).singleElement()
                .satisfies(call -> assertThat(call.idempotencyKey()).isEqualTo(ok));
        assertThat(recording.calls()).filteredOn(call -> call.id().equals(declined)).hasSize(1);
    }

    private JsonNode event(String id) {
        return topics.stateEvents().stream().filter(e -> id.equals(e.path("id").asText())).findFirst().orElse(null);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
