package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Partitions changing hands while instances run: a new instance joining (as in a rolling deploy) and an instance
 * leaving on SIGTERM.
 */
@ExtendWith(SharedBroker.class)
class RebalanceDrainIT {

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void revokedPartitionsAreDrainedWhileTheOthersKeepFlowingAndNothingIsCompletedTwice(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "rebalance", 6);
        // Fewer records than workers, on distinct accounts: each starts as soon as it arrives, so every partition has
        // work in flight whichever ones the rebalance takes away.
        List<String> ids = topics.produceTransactions(60, 60);
        Map<String, String> env = topics.serviceEnv();
        env.put("DRAIN_GRACE_PERIOD", "15s");
        env.put("DRAIN_REBALANCE_TIMEOUT", "8s");
        // 3 to 13 s per record: a revocation drain (8 s, less the 4 s hand-off reserve) finishes some and hands off
        // the others.
        env.put("TRANSACTIONS_PROCESSING_TIME", "3s");
        env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "10s");

        JsonNode rebalance;
        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("rebalance-first", with(env, "HOSTNAME", "first"))) {
            // Every record has reached the first instance (arrivals from some partitions may trail the others: counted
            // once they are in flight or finished) before the second one joins.
            await().atMost(Duration.ofSeconds(60)).until(() -> first.metric("transactions_in_flight").orElse(0.0)
                    + first.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) == ids.size());
            try (ServiceProcess second = ServiceProcess.start("rebalance-second",
                    with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME_JITTER", "0s"))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> rebalanceReport(first) != null);
                rebalance = rebalanceReport(first);
                Instant drained = Instant.parse(rebalance.path("started").asText())
                        .plusMillis(rebalance.path("durationMs").asLong());
                Set<Integer> revoked = new HashSet<>();
                rebalance.path("committed").fieldNames()
                        .forEachRemaining(p -> revoked.add(Integer.parseInt(p.substring(p.lastIndexOf('-') + 1))));

                assertThat(revoked).as("revoked partitions").isNotEmpty().hasSizeLessThan(6);
                assertThat(rebalance.path("inFlightAtStart").asInt()).as("records in flight on the revoked partitions")
                        .isPositive();
                assertThat(rebalance.path("durationMs").asLong()).as("revocation drain bounded by its timeout")
                        .isLessThanOrEqualTo(8_000);
                // The partitions that stayed keep flowing on the first instance after the revocation drain.
                await().atMost(Duration.ofSeconds(60)).until(() -> topics.stateEvents().stream()
                        .anyMatch(e -> e.path("instance").asText().equals("first")
                                && e.path("state").asText().equals("COMPLETED")
                                && !revoked.contains(e.path("partition").asInt())
                                && Instant.parse(e.path("at").asText()).isAfter(drained)));
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(20));
            }
            first.sigterm();
            first.awaitExit(Duration.ofSeconds(20));
        }
        List<JsonNode> suspendedOnRevocation = topics.stateEvents().stream()
                .filter(e -> e.path("instance").asText().equals("first")
                        && e.path("reason").asText().equals("rebalance"))
                .toList();
        assertThat(suspendedOnRevocation).hasSize(rebalance.path("suspended").asInt());

        // A third, fast instance finishes everything; then the audit of every id.
        try (ServiceProcess third = ServiceProcess.start("rebalance-third", with(with(with(env, "HOSTNAME", "third"),
                "TRANSACTIONS_PROCESSING_TIME_JITTER", "0s"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            third.sigterm();
            assertThat(third.awaitExit(Duration.ofSeconds(20))).isZero();
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed twice after SIGTERM and rebalance hand-offs")
                .isEmpty();
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void onSigtermTheConsumerLeavesTheGroupSoItsPartitionsMoveAtOnce(String protocol, KafkaBroker broker) {
        Topics topics = new Topics(broker, "leave", 6);
        topics.produceTransactions(200, 100);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        // Without a LeaveGroup, the partitions would wait for the session timeout: make that unmistakable.
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "45000");
        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("leave-first", with(env, "HOSTNAME", "first"));
                ServiceProcess second = ServiceProcess.start("leave-second", with(env, "HOSTNAME", "second"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !ServiceProcess.assignedPartitions(first.lines()).isEmpty()
                            && !ServiceProcess.assignedPartitions(second.lines()).isEmpty());
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(30))).isZero();
            long exited = System.nanoTime();
            await().atMost(Duration.ofSeconds(40))
                    .until(() -> ServiceProcess.assignedPartitions(second.lines()).size() == 6);
            assertThat(Duration.ofNanos(System.nanoTime() - exited)).isLessThan(Duration.ofSeconds(15));
            second.sigterm();
            second.awaitExit(Duration.ofSeconds(30));
        }
    }

    private static JsonNode rebalanceReport(ServiceProcess service) {
        return service.drainReports().stream()
                .filter(r -> r.path("trigger").asText().equals("rebalance"))
                .findFirst()
                .orElse(null);
    }
}
