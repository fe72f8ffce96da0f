package io.txprocessor.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.txprocessor.testing.InProcess;
import io.txprocessor.testing.KafkaTestResource;

/** The health endpoints of a running service, as an orchestrator's probes see them (semantics: README, Health). */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class HealthChecksTest {

    private static final String CHECK = "transaction-processor";

    @TestHTTPResource("/q/health/ready")
    URI ready;
    @TestHTTPResource("/q/health/live")
    URI live;

    @Test
    void readinessIsUpWhileRunningAndSaysTheDrainState() {
        HttpResponse<String> response = InProcess.get(ready);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode check = InProcess.check(response, CHECK);
        assertThat(check.path("status").asText()).isEqualTo("UP");
        assertThat(check.path("data").path("drain").asText()).isEqualTo("RUNNING");
        // quarkus.shutdown.delay-enabled adds the check that turns DOWN at SIGTERM, before the drain starts.
        assertThat(InProcess.check(response, "Graceful Shutdown").path("status").asText()).isEqualTo("UP");
    }

    @Test
    void livenessIsUpAndFollowsThePollingThreadWithoutAHandlerCrash() {
        HttpResponse<String> response = InProcess.get(live);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode check = InProcess.check(response, CHECK);
        assertThat(check.path("status").asText()).isEqualTo("UP");
        assertThat(check.path("data").path("handlerCrashed").asBoolean(true)).isFalse();
        // The heartbeat runs on the polling thread once a second: the silence never grows past a few seconds.
        // Sampled over 4 s, so a thread that stopped right after start would show a silence above 3 s.
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(500))
                .until(() -> silentMs() >= 0 && silentMs() <= 3_000);
    }

    private long silentMs() {
        return InProcess.check(InProcess.get(live), CHECK).path("data").path("pollingThreadSilentMs").asLong(-1);
    }
}
