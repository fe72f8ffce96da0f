package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.CommitCoverage;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * The packaged service against a real broker, stopped by a real SIGTERM mid-load.
 */
@ExtendWith(SharedBroker.class)
class ShutdownDrainIT {

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void sigtermWithShortWorkExitsZeroCommitsExactlyTheFinishedAndASecondInstanceCompletesTheRest(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "short", 6);
        // 100 accounts for 64 workers: lanes are often busy, so records finish out of offset order.
        List<String> ids = topics.produceTransactions(3000, 100);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "100ms");
        // 0-200 ms more per id: lanes run at different speeds, so records finish out of offset order for certain
        // (at the same 100 ms, a SIGTERM at a moment when every partition's finished records were contiguous left
        // nothing to carry in one CI run).
        env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "200ms");
        env.put("DRAIN_GRACE_PERIOD", "20s");

        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("short-first", with(env, "HOSTNAME", "first"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_processed_total{outcome=\"completed\"}")
                            .orElse(0.0) >= 300);
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(25))).as("exit status").isZero();
            System.out.printf("short work: SIGTERM to exit %d ms (grace period 20000 ms)%n",
                    first.sigtermToExit().toMillis());
            assertThat(first.sigtermToExit()).isLessThan(Duration.ofSeconds(10));
            JsonNode report = first.shutdownReport().orElseThrow();
            assertThat(report.path("inFlightAtStart").asInt()).as("records in flight at SIGTERM").isPositive();
            assertThat(report.path("suspended").asInt()).isZero();
            assertThat(report.path("exitStatus").asInt()).isZero();
        }

        List<JsonNode> firstEvents = topics.stateEvents();
        assertThat(firstEvents).allMatch(e -> e.path("state").asText().equals("COMPLETED"));
        int carriedPastTheCommit = CommitCoverage.assertCommitsCoverExactlyTheFinished(topics, firstEvents);
        // Key-ordered lanes finish records out of offset order: the hand-off must have carried some.
        assertThat(carriedPastTheCommit).as("finished records past a commit, carried in its metadata").isPositive();
        assertThat(firstEvents.size()).as("stopped mid-load").isLessThan(ids.size());

        try (ServiceProcess second = ServiceProcess.start("short-second",
                with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(25))).isZero();
        }
        Map<String, Long> completed = topics.countByState(topics.stateEvents(), "COMPLETED");
        assertThat(completed.keySet()).as("none lost").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(completed).as("none completed twice").allSatisfy((id, count) -> assertThat(count).isOne());
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void handlersThatNeverFinishAreSuspendedAndTheProcessExitsOneBeforeTheGracePeriod(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "hung", 6);
        List<String> ids = topics.produceTransactions(300, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "1h");
        env.put("DRAIN_GRACE_PERIOD", "12s");

        boolean sawReadyDown = false;
        boolean sawLiveUpWhileReadyDown = false;
        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("hung-first", with(env, "HOSTNAME", "first"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_in_flight").orElse(0.0) == 64.0);
            first.sigterm();
            // Health during the drain: readiness DOWN at once, liveness UP until the process exits.
            AtomicBoolean readyDown = new AtomicBoolean();
            AtomicBoolean liveUpWhileReadyDown = new AtomicBoolean();
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> {
                int ready = first.httpStatus("/q/health/ready");
                int live = first.httpStatus("/q/health/live");
                readyDown.compareAndSet(false, ready == 503);
                liveUpWhileReadyDown.compareAndSet(false, ready == 503 && live == 200);
                assertThat(live).as("liveness during the drain").isIn(200, -1);
                return !first.isAlive();
            });
            sawReadyDown = readyDown.get();
            sawLiveUpWhileReadyDown = liveUpWhileReadyDown.get();
            assertThat(first.awaitExit(Duration.ofSeconds(15))).as("exit status").isEqualTo(1);
            System.out.printf("hung handlers: SIGTERM to exit %d ms (grace period 12000 ms)%n",
                    first.sigtermToExit().toMillis());
            assertThat(first.sigtermToExit()).isLessThan(Duration.ofSeconds(12));
            JsonNode report = first.shutdownReport().orElseThrow();
            assertThat(report.path("inFlightAtStart").asInt()).isEqualTo(64);
            assertThat(report.path("suspended").asInt()).isEqualTo(64);
            assertThat(report.path("exitStatus").asInt()).isEqualTo(1);
        }
        assertThat(sawReadyDown).as("readiness observed DOWN during the drain").isTrue();
        assertThat(sawLiveUpWhileReadyDown).as("liveness observed UP while readiness was DOWN").isTrue();

        List<JsonNode> events = topics.stateEvents();
        Map<String, Long> suspended = topics.countByState(events, "SUSPENDED");
        assertThat(suspended).hasSize(64).allSatisfy((id, count) -> assertThat(count).isOne());
        assertThat(events).allMatch(e -> e.path("state").asText().equals("SUSPENDED")
                && e.path("reason").asText().equals("shutdown"));
        Map<TopicPartition, Long> lowestSuspended = new HashMap<>();
        for (JsonNode event : events) {
            lowestSuspended.merge(new TopicPartition(topics.input, event.path("partition").asInt()),
                    event.path("offset").asLong(), Math::min);
        }
        topics.committed().forEach((partition, committed) -> assertThat(committed.offset())
                .as("no commit passes a suspended record on " + partition)
                .isLessThanOrEqualTo(lowestSuspended.getOrDefault(partition, Long.MAX_VALUE)));

        try (ServiceProcess second = ServiceProcess.start("hung-second",
                with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(15))).isZero();
        }
        Map<String, Long> completed = topics.countByState(topics.stateEvents(), "COMPLETED");
        assertThat(completed.keySet()).containsAll(suspended.keySet()).hasSize(ids.size());
        assertThat(completed).allSatisfy((id, count) -> assertThat(count).isOne());
    }
}
