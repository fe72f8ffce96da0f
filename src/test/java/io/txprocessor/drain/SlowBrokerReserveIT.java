package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * The auto hand-off reserve grows from what was measured when the broker is slow: a real broker, of its own,
 * frozen (SIGSTOP) for 1.5 s while the service runs and thawed before the SIGTERM, so that the acknowledgements
 * and the commit sent meanwhile took that long. No network tools: only the measured latency is inflated.
 */
class SlowBrokerReserveIT {

    private static final Duration PAUSE = Duration.ofMillis(1500);

    @Test
    void aBrokerThatWasSlowJustBeforeTheDrainGrowsTheAutoReserveFromItsFloor() throws InterruptedException {
        try (KafkaBroker broker = KafkaBroker.startLocal(Map.of())) {
            Topics topics = new Topics(broker, "slow-broker", 6);
            List<String> ids = topics.produceTransactions(1500, 300);
            Map<String, String> env = topics.serviceEnv();
            env.put("TRANSACTIONS_PROCESSING_TIME", "100ms");
            env.put("DRAIN_GRACE_PERIOD", "10s");
            try (ServiceProcess service = ServiceProcess.start("slow-broker", with(env, "HOSTNAME", "slow"))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> service
                        .metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) >= 100);
                broker.hang();
                try {
                    Thread.sleep(PAUSE.toMillis()); // the broker's stall itself: nothing to await but time
                } finally {
                    broker.resume();
                }
                // Running again: acknowledgements came back (they were measured at the stall's length).
                double before = service.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0);
                await().atMost(Duration.ofSeconds(30)).until(() -> service
                        .metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) >= before + 50);
                service.sigterm();
                int status = service.awaitExit(Duration.ofSeconds(15));
                JsonNode report = service.shutdownReport().orElseThrow();
                JsonNode reserve = report.path("handOffReserve");
                System.out.printf("broker stalled %d ms before the drain: exit %d, SIGTERM to exit %d ms, "
                        + "reserve %s%n", PAUSE.toMillis(), status, service.sigtermToExit().toMillis(), reserve);
                assertThat(reserve.path("setting").asText()).isEqualTo("auto");
                double slowest = Math.max(reserve.path("acknowledgements").path("p99Ms").asDouble(),
                        reserve.path("commits").path("p99Ms").asDouble());
                assertThat(slowest).as("the stall, as measured (p99 ms of acknowledgements or commits)")
                        .isGreaterThanOrEqualTo(PAUSE.toMillis() / 2.0);
                assertThat(reserve.path("reserveMs").asLong()).as("the reserve, grown from its 400 ms floor")
                        .isGreaterThanOrEqualTo(1500);
                assertThat(status).as("exit status").isZero();
                assertThat(service.sigtermToExit()).isLessThan(Duration.ofSeconds(9));
            }
            try (ServiceProcess second = ServiceProcess.start("slow-broker-second",
                    with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(20));
            }
            Audit audit = Audit.of(ids, topics.stateEvents(), 0);
            assertThat(audit.lost()).as("lost").isEmpty();
            assertThat(audit.completedMoreThanOnce()).as("completed twice").isEmpty();
        }
    }
}
