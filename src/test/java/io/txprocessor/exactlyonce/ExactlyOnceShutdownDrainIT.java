package io.txprocessor.exactlyonce;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.CommitCoverage;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * SIGTERM in exactly-once mode with handlers that will not finish in time: the drain waits for what it can, cancels
 * the rest, and commits one last producer transaction holding the SUSPENDED events and the offsets of exactly the
 * finished records; the process exits 1 inside the grace period. What read_committed readers see then must hand off
 * exactly right: the SUSPENDED events, and committed offsets that cover exactly the ids with a visible COMPLETED (a
 * finished record past the committed offset is carried in the commit's metadata, so the next owner skips it). The next
 * instance completes the rest, each id once.
 *
 * <p>
 * Classic group protocol only, for the four-minute budget of the exactly-once tests (the drain's transaction does not
 * depend on the protocol; its offsets carry the group metadata of either).
 */
@ExtendWith(SharedBroker.class)
class ExactlyOnceShutdownDrainIT {

    private static final Duration GRACE_PERIOD = Duration.ofSeconds(10);

    @Test
    void sigtermSuspendsHungWorkInItsLastTransactionWithExactlyTheFinishedOffsetsExitsOneInTimeAndEachIdCompletesOnce(
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "eos-drain", 6);
        // One account per record: all 64 workers busy at once, and records finish out of offset order.
        List<String> ids = topics.produceTransactions(300, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("DRAIN_GRACE_PERIOD", GRACE_PERIOD.toSeconds() + "s");
        // 20 ms plus up to 30 s, fixed per id: a few finish in the first seconds, a few more during the drain (which
        // waits about 5 s: the grace period less the hand-off reserve and the exit margin), most never.
        Map<String, String> envFirst = with(
                with(with(env, "HOSTNAME", "first"), "TRANSACTIONS_PROCESSING_TIME", "20ms"),
                "TRANSACTIONS_PROCESSING_TIME_JITTER", "30s");

        JsonNode report;
        try (ServiceProcess first = ServiceProcess.start("eos-drain-first", envFirst)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_in_flight").orElse(0.0) == 64.0
                            && !topics.countByState(topics.committedStateEvents(), "COMPLETED").isEmpty());
            first.sigterm();
            assertThat(first.awaitExit(GRACE_PERIOD.plusSeconds(10))).as("exit status").isEqualTo(1);
            System.out.printf("exactly-once, handlers still running: SIGTERM to exit %d ms (grace period %d ms)%n",
                    first.sigtermToExit().toMillis(), GRACE_PERIOD.toMillis());
            assertThat(first.sigtermToExit()).as("SIGTERM to exit").isLessThan(GRACE_PERIOD);
            report = first.shutdownReport().orElseThrow(() -> new AssertionError("no shutdown drain report"));
        }
        assertThat(report.path("inFlightAtStart").asInt()).as("records in flight at SIGTERM").isPositive();
        assertThat(report.path("suspended").asInt()).as("records suspended").isPositive();
        assertThat(report.path("exitStatus").asInt()).as("the report's exit status").isEqualTo(1);
        assertThat(report.path("commitError").isTextual()).as("the final commit failed: " + report.path("commitError"))
                .isFalse();

        List<JsonNode> visible = topics.committedStateEvents();
        Map<String, Long> suspended = topics.countByState(visible, "SUSPENDED");
        assertThat(suspended).as("SUSPENDED events a read_committed reader sees, per id")
                .hasSize(report.path("suspended").asInt())
                .allSatisfy((id, count) -> assertThat(count).isOne());
        assertThat(visible).filteredOn(e -> "SUSPENDED".equals(e.path("state").asText()))
                .allMatch(e -> "shutdown".equals(e.path("reason").asText()), "reason shutdown")
                .allMatch(e -> "first".equals(e.path("instance").asText()), "suspended by the first instance");
        Map<String, Long> completedByFirst = topics.countByState(visible, "COMPLETED");
        assertThat(completedByFirst).as("ids COMPLETED for read_committed readers at the exit").isNotEmpty()
                .allSatisfy((id, count) -> assertThat(count).isOne());
        assertThat(completedByFirst.size() + suspended.size()).as("stopped mid-load").isLessThan(ids.size());
        List<JsonNode> finished = visible.stream()
                .filter(e -> Set.of("COMPLETED", "FAILED").contains(e.path("state").asText())).toList();
        int carried = CommitCoverage.assertCommitsCoverExactlyTheFinished(topics, finished);
        System.out.printf("exactly-once drain: %d completed, %d suspended, %d finished past a committed offset"
                + " (carried in its metadata)%n", completedByFirst.size(), suspended.size(), carried);

        try (ServiceProcess second = ServiceProcess.start("eos-drain-second",
                with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
            await().atMost(Duration.ofSeconds(120)).until(
                    () -> topics.countByState(topics.committedStateEvents(), "COMPLETED").size() == ids.size());
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(30))).as("the second instance's exit status").isZero();
        }
        Audit audit = Audit.of(ids, topics.committedStateEvents(), topics.committedDeadLetterRecords().size());
        assertThat(audit.lost()).as("ids with no outcome a read_committed reader sees").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("ids a read_committed reader sees COMPLETED more than once")
                .isEmpty();
        assertThat(audit.completed()).as("ids a read_committed reader sees COMPLETED").isEqualTo(ids.size());
        assertThat(audit.suspendedThenCompleted()).as("suspended ids completed by the second instance")
                .isEqualTo(suspended.size());
    }
}
