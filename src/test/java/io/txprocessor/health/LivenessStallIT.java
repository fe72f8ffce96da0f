package io.txprocessor.health;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.InProcess;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Liveness turns DOWN when the consumer's polling thread has not run for {@code health.polling-stall-timeout}, and
 * only then. The polling thread is really held here: a revocation drain runs inside {@code poll()}, on that thread,
 * and with handlers that hang until cancelled it holds the thread for {@code drain.rebalance-timeout} less the
 * hand-off reserve. With a stall timeout below that (the opposite of what HealthConfig recommends, on purpose) the
 * process answers HTTP all along while its polling thread is silent: UP before, DOWN once the silence passed the
 * timeout, UP again when the drain gives the thread back.
 */
@ExtendWith(SharedBroker.class)
class LivenessStallIT {

    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(3);
    private static final int PARTITIONS = 4;

    @Test
    void livenessGoesDownWhenThePollingThreadIsHeldPastTheStallTimeoutAndUpWhenItRunsAgain(KafkaBroker broker) {
        Topics topics = new Topics(broker, "liveness", PARTITIONS);
        Map<String, String> env = topics.serviceEnv();
        env.put("HEALTH_POLLING_STALL_TIMEOUT", STALL_TIMEOUT.toMillis() + "ms");
        // The revocation drain holds the polling thread about 12 s (16 s less the 4 s hand-off reserve).
        env.put("DRAIN_REBALANCE_TIMEOUT", "16s");
        env.put("DRAIN_GRACE_PERIOD", "10s");
        env.put("TRANSACTIONS_SIMULATED_HANGS", ".*");
        try (ServiceProcess first = ServiceProcess.start("liveness-first", with(env, "HOSTNAME", "first"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ServiceProcess.assignedPartitions(first.lines()).size() == PARTITIONS);
            produceOnePerPartition(topics);
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_in_flight").orElse(0.0) == PARTITIONS);

            // Before: handlers hang, yet the polling thread runs, so liveness stays UP through twice the timeout.
            await().during(STALL_TIMEOUT.multipliedBy(2)).atMost(STALL_TIMEOUT.multipliedBy(3)).until(() -> {
                JsonNode check = liveness(first);
                return "UP".equals(check.path("status").asText())
                        && check.path("data").path("pollingThreadSilentMs").asLong() < STALL_TIMEOUT.toMillis();
            });

            try (ServiceProcess second = ServiceProcess.start("liveness-second", with(env, "HOSTNAME", "second"),
                    List.of("java", "-jar"), false)) {
                // Not waiting for its readiness (which may wait for the drain): its join revokes partitions from the
                // first, whose drain then holds the polling thread.
                JsonNode[] down = new JsonNode[1];
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    JsonNode check = liveness(first);
                    down[0] = check;
                    return "DOWN".equals(check.path("status").asText());
                });
                assertThat(rebalanceReport(first)).as("the revocation drain, still holding the thread at DOWN")
                        .isEmpty();
                assertThat(down[0].path("data").path("pollingThreadSilentMs").asLong())
                        .as("polling thread silence at DOWN").isGreaterThanOrEqualTo(STALL_TIMEOUT.toMillis());
                assertThat(down[0].path("data").path("handlerCrashed").asBoolean()).as("a handler crashed").isFalse();
                assertThat(first.httpStatus("/q/health/live")).as("liveness status code while the thread is held")
                        .isEqualTo(503);

                // The drain ends and gives the thread back: UP again.
                await().atMost(Duration.ofSeconds(60)).until(() -> rebalanceReport(first).isPresent());
                await().atMost(Duration.ofSeconds(30)).until(() -> first.httpStatus("/q/health/live") == 200);
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(30));
            }
            first.sigterm();
            first.awaitExit(Duration.ofSeconds(30));
        }
    }

    private static JsonNode liveness(ServiceProcess service) {
        HttpResponse<String> response = service.get("/q/health/live")
                .orElseThrow(() -> new AssertionError(service.name() + " did not answer /q/health/live"));
        return InProcess.check(response, "transaction-processor");
    }

    private static Optional<JsonNode> rebalanceReport(ServiceProcess service) {
        return service.drainReports().stream().filter(r -> "rebalance".equals(r.path("trigger").asText()))
                .findFirst();
    }

    private static void produceOnePerPartition(Topics topics) {
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int p = 0; p < PARTITIONS; p++) {
                String id = Topics.id(p);
                producer.send(new ProducerRecord<>(topics.input, p, ("acc-" + p).getBytes(StandardCharsets.UTF_8),
                        Topics.transaction(id, "acc-" + p).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }
}
