package io.txprocessor.netfault;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.CommitCoverage;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * What the network-fault drills share: the finished records' events, the hand-off to a next owner outside the
 * lab's namespace (straight to the broker, which no fault touches), and the line each drill prints for
 * the results table (fault, exit status, SIGTERM to exit, reserve planned and used, lost, duplicates).
 */
final class Drills {

    static final Duration EXIT_MARGIN = Duration.ofSeconds(1);

    private Drills() {
    }

    /** The state events of finished records (COMPLETED, FAILED): what commits may cover. */
    static List<JsonNode> finished(List<JsonNode> events) {
        return events.stream().filter(e -> !e.path("state").asText().equals("SUSPENDED")).toList();
    }

    /** The SUSPENDED events the service logged as unpublished (the broker did not confirm taking them). */
    static List<String> unpublishedSuspended(ServiceProcess service) {
        return service.lines().stream().filter(line -> line.startsWith("{\"event\":\"unpublished-state\""))
                .filter(line -> line.contains("\"state\":\"SUSPENDED\"")).toList();
    }

    /** Waits until the group's commits cover exactly the finished records (the periodic commit caught up). */
    static void awaitCommitsCoverTheFinished(Topics topics) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(
                () -> CommitCoverage.assertCommitsCoverExactlyTheFinished(topics, finished(topics.stateEvents())));
    }

    /**
     * A next owner in the root namespace completes every id; then it is stopped with SIGTERM and must exit 0. Its
     * processing is quick, whatever the drill's was.
     */
    static void nextOwnerCompletesEverything(Topics topics, Map<String, String> env, List<String> ids, String name) {
        Map<String, String> own = with(env, "HOSTNAME", name);
        own.remove("TRANSACTIONS_SIMULATED_HANGS");
        own.put("TRANSACTIONS_PROCESSING_TIME", "2ms");
        own.remove("TRANSACTIONS_PROCESSING_TIME_JITTER");
        try (ServiceProcess next = ServiceProcess.start(name, own)) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> Audit.of(ids, topics.stateEvents(), 0).lost().isEmpty());
            next.sigterm();
            assertThat(next.awaitExit(Duration.ofSeconds(30))).as("the next owner's exit status").isZero();
        }
    }

    /**
     * Prints the drill's row of the results table. The reserve planned and used are the drain report's (the drills
     * run with the default, {@code drain.hand-off-reserve=auto}: planned is what it was sized to, used is from the
     * end of the work to the end of the commit); "to the exit" is SIGTERM to exit less the work's time, which also
     * holds the consumer's close, a halt at the deadline and the JVM's exit.
     */
    static void printRow(String fault, ServiceProcess service, int exitStatus, Duration grace, Audit audit,
            String command) {
        Optional<JsonNode> reserve = service.shutdownReport().map(r -> r.path("handOffReserve"));
        long toExit = service.sigtermToExit().toMillis();
        String planned = reserve.map(r -> r.path("reserveMs").asLong() + " ms (work " + r.path("workMs").asLong()
                + " ms), used " + r.path("usedMs").asLong() + " ms by the report, "
                + Math.max(0, toExit - r.path("workMs").asLong()) + " ms to the exit")
                .orElse("unknown: no report (halted at the deadline)");
        System.out.printf("%nnetfault | %s | exit %d | SIGTERM to exit %d ms of %d ms | reserve planned %s | lost %d "
                + "| duplicates %d | %s%n%n", fault, exitStatus, toExit, grace.toMillis(), planned,
                audit.lost().size(), audit.completedMoreThanOnce().size(), command);
    }

    /** The command that runs one drill. */
    static String command(String test) {
        return "./mvnw -B verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=" + test
                + " -Dfailsafe.failIfNoSpecifiedTests=false";
    }
}
