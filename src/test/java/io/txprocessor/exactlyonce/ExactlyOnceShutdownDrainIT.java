package io.txprocessor.exactlyonce;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
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

    /**
     * A {@code read_committed} reader watching while the drain runs: the SUSPENDED events and the offsets that hand
     * them off become visible together, never one without the other. No transaction commits before the drain's own
     * last one here (the commit interval is longer than the run), so before it nothing is visible and after it
     * everything is: each observation reads the group's committed offsets, then the states topic, then the offsets
     * again, and what a later read sees was visible at the earlier one's time at the latest.
     */
    @Test
    void aReadCommittedReaderWatchingTheDrainSeesTheSuspendedEventsAndTheirCommitTogether(KafkaBroker broker) {
        Topics topics = new Topics(broker, "eos-watch", 6);
        topics.produceTransactions(120, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("HOSTNAME", "watched");
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("DRAIN_GRACE_PERIOD", GRACE_PERIOD.toSeconds() + "s");
        env.put("TRANSACTIONS_PROCESSING_TIME", "20ms");
        env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "30s");
        // No periodic transaction within the run: the drain's last one is the only commit, and the only moment
        // anything becomes visible (the transaction timeout must exceed twice the interval).
        env.put("TRANSACTIONS_COMMIT_INTERVAL", "60s");
        env.put("TRANSACTIONS_TRANSACTION_TIMEOUT", "150s");

        int observations = 0;
        int beforeCommit = 0;
        int afterCommit = 0;
        List<String> violations = new ArrayList<>();
        JsonNode report;
        try (ServiceProcess service = ServiceProcess.start("eos-watch", env)) {
            // Every worker busy. Until a transaction commits (none does before SIGTERM) a finished record still counts
            // as in flight, so the gauge may pass 64.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> service.metric("transactions_in_flight").orElse(0.0) >= 64.0);
            assertThat(topics.committed()).as("offsets committed before SIGTERM").isEmpty();
            service.sigterm();
            boolean exited = false;
            while (!exited) {
                exited = !service.isAlive(); // one more observation after the exit
                Map<TopicPartition, OffsetAndMetadata> offsetsBefore = topics.committed();
                long suspendedSeen = topics.committedStateEvents().stream()
                        .filter(e -> "SUSPENDED".equals(e.path("state").asText())).count();
                Map<TopicPartition, OffsetAndMetadata> offsetsAfter = topics.committed();
                observations++;
                if (suspendedSeen > 0 && offsetsAfter.isEmpty()) {
                    violations.add("observation " + observations + ": " + suspendedSeen
                            + " SUSPENDED event(s) visible, no offsets committed after reading them");
                }
                if (!offsetsBefore.isEmpty() && suspendedSeen == 0) {
                    violations.add("observation " + observations + ": offsets committed " + offsetsBefore
                            + ", no SUSPENDED event visible after reading them");
                }
                if (offsetsAfter.isEmpty()) {
                    beforeCommit++;
                } else if (!offsetsBefore.isEmpty()) {
                    afterCommit++;
                }
            }
            assertThat(service.awaitExit(GRACE_PERIOD.plusSeconds(10))).as("exit status").isEqualTo(1);
            report = service.shutdownReport().orElseThrow(() -> new AssertionError("no shutdown drain report"));
        }
        System.out.printf("exactly-once drain watched: %d observations, %d before the commit, %d after%n",
                observations, beforeCommit, afterCommit);
        assertThat(violations).as("observations where one became visible without the other").isEmpty();
        assertThat(beforeCommit).as("observations during the drain before its commit").isPositive();
        assertThat(afterCommit).as("observations after the drain's commit").isPositive();
        assertThat(report.path("suspended").asInt()).as("records suspended").isPositive();
        Map<TopicPartition, OffsetAndMetadata> committed = topics.committed();
        List<JsonNode> visible = topics.committedStateEvents();
        assertThat(topics.countByState(visible, "SUSPENDED")).as("SUSPENDED events visible at the end")
                .hasSize(report.path("suspended").asInt());
        Map<String, Long> reported = new HashMap<>();
        report.path("committed").fields().forEachRemaining(f -> reported.put(f.getKey(), f.getValue().asLong()));
        Map<String, Long> inGroup = new HashMap<>();
        committed.forEach((tp, offset) -> inGroup.put(tp.toString(), offset.offset()));
        assertThat(inGroup).as("the group's committed offsets: the drain's commit").isEqualTo(reported);
    }
}
