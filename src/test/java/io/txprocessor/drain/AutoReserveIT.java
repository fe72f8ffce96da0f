package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Issue 21's user case, the packaged service with every drain setting at its default (the hand-off reserve
 * {@code auto}) against a healthy broker: the grace period goes to the work, not to a fixed reserve.
 */
@ExtendWith(SharedBroker.class)
class AutoReserveIT {

    private static final Duration GRACE = Duration.ofSeconds(10);

    @Test
    void recordsThatNeedSevenAndAHalfSecondsAllCompleteInATenSecondGracePeriodAndTheExitIsZero(KafkaBroker broker) {
        Topics topics = new Topics(broker, "auto-reserve", 6);
        // 48 accounts for 48 records: all start at once (64 workers), none waits behind another of its account.
        List<String> ids = topics.produceTransactions(48, 48);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "7500ms");
        env.put("DRAIN_GRACE_PERIOD", "10s");

        try (ServiceProcess service = ServiceProcess.start("auto-reserve", with(env, "HOSTNAME", "auto"))) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> service.metric("transactions_in_flight").orElse(0.0) == 48.0);
            service.sigterm();
            int status = service.awaitExit(GRACE.plusSeconds(5));
            JsonNode report = service.shutdownReport().orElseThrow();
            System.out.printf("7.5 s records, 10 s grace period: exit %d, SIGTERM to exit %d ms, report %s%n",
                    status, service.sigtermToExit().toMillis(), report);
            assertThat(report.path("inFlightAtStart").asInt()).as("records in flight at SIGTERM").isEqualTo(48);
            assertThat(report.path("suspended").asInt()).as("records handed off").isZero();
            assertThat(status).as("exit status").isZero();
            assertThat(service.sigtermToExit()).as("SIGTERM to exit").isLessThan(GRACE.minusSeconds(1));
        }
        Map<String, Long> completed = topics.countByState(topics.stateEvents(), "COMPLETED");
        assertThat(completed.keySet()).as("every record COMPLETED by the instance SIGTERMed")
                .containsExactlyInAnyOrderElementsOf(ids);
    }

    /**
     * The share of the grace period the work gets (SIGTERM to the end of the drain's work phase, as the report
     * gives it), at two grace periods, with records that finish quickly so that the drain itself is short. Also
     * prints SIGTERM to exit and report to exit.
     */
    @ParameterizedTest(name = "grace period {0} s: work gets at least {1} %")
    @CsvSource({"10, 85", "30, 95"})
    void withAHealthyBrokerTheWorkGetsMostOfTheGracePeriod(int graceSeconds, int percent, KafkaBroker broker) {
        Topics topics = new Topics(broker, "auto-share-" + graceSeconds, 6);
        topics.produceTransactions(2000, 200);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "100ms");
        env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "200ms");
        env.put("DRAIN_GRACE_PERIOD", graceSeconds + "s");
        try (ServiceProcess service = ServiceProcess.start("auto-share-" + graceSeconds,
                with(env, "HOSTNAME", "share" + graceSeconds))) {
            // Long enough running that acknowledgements and commits have been measured past the warm-up.
            await().atMost(Duration.ofSeconds(60)).until(
                    () -> service.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) >= 1000);
            Instant sent = Instant.now();
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(graceSeconds + 5))).as("exit status").isZero();
            JsonNode report = service.shutdownReport().orElseThrow();
            Instant reportDone = Instant.parse(report.path("started").asText())
                    .plusMillis(report.path("durationMs").asLong());
            System.out.printf("grace %d s: SIGTERM to exit %d ms, report to exit %d ms, report %s%n", graceSeconds,
                    service.sigtermToExit().toMillis(),
                    Duration.between(reportDone, sent.plus(service.sigtermToExit())).toMillis(), report);
            JsonNode reserve = report.path("handOffReserve");
            // The work's time is the grace period less the exit margin (1 s, the default) and the reserve.
            long workMs = graceSeconds * 1000L - 1000L - reserve.path("reserveMs").asLong();
            double share = 100.0 * workMs / (graceSeconds * 1000.0);
            System.out.printf("grace %d s: the work gets %d ms, %.1f %% (reserve %d ms: %s)%n", graceSeconds, workMs,
                    share, reserve.path("reserveMs").asLong(), reserve.path("rule").asText());
            // The report's workMs is the same, from SIGTERM's wall-clock time to the deadline less the reserve.
            assertThat(reserve.path("workMs").asLong()).as("the report's workMs").isBetween(workMs - 5, workMs + 5);
            assertThat(share).as("share of the grace period for the work, %").isGreaterThanOrEqualTo(percent);
        }
    }
}
