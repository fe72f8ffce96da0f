package io.txprocessor.tools;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.operate.DrainPicture;
import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;
import io.txprocessor.testing.Waits;

/**
 * The README's first command ({@code ./mvnw -B -Pdemo verify}): a real local broker, the packaged service, a
 * stream of sample transactions, a SIGTERM mid-flight, a second instance taking over, and what happened.
 */
public final class Demo {

    private static final PrintStream OUT = System.out;
    private static final Duration GRACE = Duration.ofSeconds(10);

    private Demo() {
    }

    public static void main(String[] args) {
        OUT.println("== Starting a real Kafka broker (KRaft, its own JVM) ...");
        try (KafkaBroker broker = KafkaBroker.start()) {
            Topics topics = new Topics(broker, "demo", 6);
            OUT.println("   bootstrap " + broker.bootstrapServers() + ", input topic " + topics.input);
            List<String> ids = topics.produceTransactions(2000, 500);
            OUT.println("== Produced " + ids.size() + " transactions over 500 accounts");

            // Slow work against a short grace period, so the SIGTERM finds work it cannot finish in time.
            Map<String, String> env = new HashMap<>(topics.serviceEnv());
            env.put("HOSTNAME", "demo-first");
            env.put("TRANSACTIONS_PROCESSING_TIME", "500ms");
            env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "9s");
            env.put("DRAIN_GRACE_PERIOD", "10s");
            OUT.println("== Starting the service (0.5 to 9.5 s of work per transaction, 10 s grace period:");
            OUT.println("   after SIGTERM, work in flight gets 10 - 1 (exit margin) - the hand-off reserve, which is");
            OUT.println("   auto: sized from what acknowledgements and commits cost here, at least 0.5 s)");
            try (ServiceProcess first = ServiceProcess.start("demo-first", env);
                    DrainPicture.Sampler sampler = DrainPicture.Sampler.start(first, Duration.ofMillis(50))) {
                Waits.until("the first transactions to complete", Duration.ofSeconds(60),
                        () -> first.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) > 0);
                Waits.until("64 records to be in flight", Duration.ofSeconds(30),
                        () -> first.metric("transactions_in_flight").orElse(0.0) >= 64);
                OUT.println("== SIGTERM, with " + first.metric("transactions_in_flight").orElse(0.0).intValue()
                        + " transactions in flight (the slow ones cannot finish in time)");
                Instant sigterm = Instant.now();
                first.sigterm();
                int status = first.awaitExit(Duration.ofSeconds(20));
                OUT.printf("== The service exited with status %d, %d ms after SIGTERM (grace period 10000 ms)%n",
                        status, first.sigtermToExit().toMillis());
                JsonNode report = first.shutdownReport().orElseThrow();
                OUT.println("   drain report: " + report);
                JsonNode reserve = report.path("handOffReserve");
                OUT.printf("   hand-off reserve: %d ms (%s: %s; acks p99 %.1f ms of %d, commits p99 %.1f ms of %d);"
                        + " the work got %d ms, the hand-off used %d ms%n", reserve.path("reserveMs").asLong(),
                        reserve.path("setting").asText(), reserve.path("rule").asText(),
                        reserve.path("acknowledgements").path("p99Ms").asDouble(),
                        reserve.path("acknowledgements").path("samples").asInt(),
                        reserve.path("commits").path("p99Ms").asDouble(),
                        reserve.path("commits").path("samples").asInt(),
                        reserve.path("workMs").asLong(), reserve.path("usedMs").asLong());
                List<DrainPicture.Suspended> suspended = topics.stateEvents().stream()
                        .filter(e -> e.path("state").asText().equals("SUSPENDED"))
                        .map(DrainPicture.Suspended::fromEvent)
                        .toList();
                Path picture = new DrainPicture("Demo: SIGTERM with slow work, 10 s grace period",
                        sampler.awaitSamples(Duration.ofSeconds(10)), sigterm,
                        sigterm.plus(GRACE).minusSeconds(1), sigterm.plus(GRACE),
                        sigterm.plus(first.sigtermToExit()), suspended,
                        DrainPicture.Report.fromDrainReport(report, status))
                        .writeTo(Path.of("target", "drain-pictures", "demo.html"));
                OUT.println("   the drain as a picture: " + picture.toAbsolutePath());
            }

            env.put("HOSTNAME", "demo-second");
            env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
            env.put("TRANSACTIONS_PROCESSING_TIME_JITTER", "0s");
            OUT.println("== Starting a second instance, which takes over the partitions");
            try (ServiceProcess second = ServiceProcess.start("demo-second", env)) {
                Waits.until("every transaction to be completed", Duration.ofSeconds(120),
                        () -> topics.countByState(topics.stateEvents(), "COMPLETED").size() >= ids.size());
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(20));
            }

            List<JsonNode> events = topics.stateEvents();
            Audit audit = Audit.of(ids, events, topics.deadLetterRecords().size());
            OUT.println("== What happened to every transaction");
            OUT.print(Audit.table(audit.rows()));
            OUT.println("   service logs: target/service-logs/demo-first.log, target/service-logs/demo-second.log");
            if (!audit.lost().isEmpty() || !audit.completedMoreThanOnce().isEmpty()) {
                throw new IllegalStateException("the demo lost or duplicated transactions: " + audit.rows());
            }
        }
    }
}
