package io.txprocessor.tools;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;
import io.txprocessor.testing.Waits;

/**
 * {@code ./mvnw -B -Prolling verify}: a rolling restart of all three instances under load, once per consumer group
 * protocol ({@code classic}, then {@code consumer}, KIP-848), on one local broker. Each instance in turn gets
 * SIGTERM; once it has exited, its replacement starts and must get partitions before the next one is stopped.
 * Prints, per protocol: ids completed more than once and lost, the longest pause of processing on the instances
 * that were not being restarted, the commits refused, and the drains' durations. Written to
 * {@code target/rolling-restart.md}.
 */
public final class RollingRestartDrill {

    private static final PrintStream OUT = System.out;
    private static final int PARTITIONS = 12;
    private static final int INSTANCES = 3;
    /** Offered load, records/s: well under what three instances do at 20 ms per record (3 x 3,200). */
    private static final int RATE = Integer.getInteger("rolling.rate", 1000);
    /** Steady processing before the first restart and after each replacement joined. */
    private static final Duration STEADY = Duration.ofSeconds(Integer.getInteger("rolling.steady-seconds", 8));

    private final KafkaBroker broker;

    private RollingRestartDrill(KafkaBroker broker) {
        this.broker = broker;
    }

    public static void main(String[] args) throws Exception {
        try (KafkaBroker broker = KafkaBroker.start()) {
            RollingRestartDrill drill = new RollingRestartDrill(broker);
            Map<String, Map<String, Object>> results = new LinkedHashMap<>();
            for (String protocol : List.of("classic", "consumer")) {
                results.put(protocol, drill.run(protocol));
            }
            String table = table(results);
            OUT.println("== Results");
            OUT.print(table);
            Path file = Path.of("target", "rolling-restart.md");
            Files.writeString(file, table);
            OUT.println("   written to " + file);
        }
    }

    private Map<String, Object> run(String protocol) throws Exception {
        OUT.println("== group.protocol=" + protocol);
        Topics topics = new Topics(broker, "rolling-" + protocol, PARTITIONS);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "20ms");
        topics.useGroupProtocol(env, protocol);

        List<String> ids = new CopyOnWriteArrayList<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        Thread producer = new Thread(() -> produce(topics, protocol, ids, producing), "rolling-producer");
        List<ServiceProcess> all = new ArrayList<>();
        List<Window> restarts = new ArrayList<>();
        try {
            ServiceProcess[] running = new ServiceProcess[INSTANCES];
            for (int i = 0; i < INSTANCES; i++) {
                running[i] = start(protocol + "-a" + i, env, all);
            }
            producer.start();
            for (ServiceProcess service : running) {
                awaitPartitions(service);
            }
            Thread.sleep(STEADY.toMillis()); // steady load before the first restart: a measured stretch, not a wait
            for (int i = 0; i < INSTANCES; i++) {
                Instant from = Instant.now();
                running[i].sigterm();
                int status = running[i].awaitExit(Duration.ofSeconds(40));
                OUT.printf("   %s exited with %d after %d ms%n", running[i].name(), status,
                        running[i].sigtermToExit().toMillis());
                String stopped = running[i].name();
                running[i] = start(protocol + "-b" + i, env, all);
                awaitPartitions(running[i]);
                Thread.sleep(STEADY.toMillis());
                List<String> others = new ArrayList<>();
                for (int j = 0; j < INSTANCES; j++) {
                    if (j != i) {
                        others.add(running[j].name());
                    }
                }
                restarts.add(new Window(stopped, others, from, Instant.now()));
            }
            producing.set(false);
            producer.join();
            Waits.until("every record of " + protocol + " to finish", Duration.ofMinutes(3),
                    () -> Audit.of(ids, topics.stateEvents(), 0).lost().isEmpty());
            for (ServiceProcess service : running) {
                service.sigterm();
            }
            for (ServiceProcess service : running) {
                service.awaitExit(Duration.ofSeconds(40));
            }
        } finally {
            producing.set(false);
            all.forEach(ServiceProcess::close);
        }
        return measure(ids, topics.stateEvents(), restarts, all);
    }

    private static ServiceProcess start(String name, Map<String, String> env, List<ServiceProcess> all) {
        Map<String, String> own = new HashMap<>(env);
        own.put("HOSTNAME", name);
        own.put("JAVA_TOOL_OPTIONS", Benchmark.SERVICE_JVM);
        ServiceProcess service = ServiceProcess.start(name, own);
        all.add(service);
        return service;
    }

    private static void awaitPartitions(ServiceProcess service) {
        Waits.until(service.name() + " to get partitions", Duration.ofMinutes(2),
                () -> !ServiceProcess.assignedPartitions(service.lines()).isEmpty());
    }

    /** Writes {@link #RATE} transactions a second, on 1,000 accounts, until told to stop. */
    private static void produce(Topics topics, String protocol, List<String> ids, AtomicBoolean producing) {
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            long next = System.nanoTime();
            for (int n = 0; producing.get(); n++) {
                String id = protocol + "-" + Topics.id(n);
                String account = "acc-" + (n % 1000);
                producer.send(new ProducerRecord<>(topics.input, account.getBytes(StandardCharsets.UTF_8),
                        Topics.transaction(id, account).getBytes(StandardCharsets.UTF_8)));
                ids.add(id);
                next += 1_000_000_000L / RATE;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One restart: from the SIGTERM until its replacement had processed for {@link #STEADY}. */
    private record Window(String restarted, List<String> others, Instant from, Instant to) {
    }

    private static Map<String, Object> measure(List<String> ids, List<JsonNode> events, List<Window> restarts,
            List<ServiceProcess> services) {
        Audit audit = Audit.of(ids, events, 0);
        long longestPause = 0;
        for (Window window : restarts) {
            for (String instance : window.others()) {
                longestPause = Math.max(longestPause, longestGap(events, instance, window));
            }
        }
        long refusals = 0;
        List<Long> shutdowns = new ArrayList<>();
        List<Long> rebalances = new ArrayList<>();
        for (ServiceProcess service : services) {
            refusals += service.lines().stream().filter(line -> line.contains("RebalanceInProgressException")
                    || line.contains("CommitFailedException") || line.contains("commit refused")).count();
            for (JsonNode report : service.drainReports()) {
                (report.path("trigger").asText().equals("shutdown") ? shutdowns : rebalances)
                        .add(report.path("durationMs").asLong());
            }
        }
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("records produced", ids.size());
        rows.put("ids completed more than once", audit.completedMoreThanOnce().size());
        rows.put("ids lost", audit.lost().size());
        rows.put("longest pause on the instances not restarted, ms", longestPause);
        rows.put("commits refused (log lines)", refusals);
        rows.put("shutdown drains, longest ms (count)", max(shutdowns) + " (" + shutdowns.size() + ")");
        rows.put("revocation drains, longest ms (count)", max(rebalances) + " (" + rebalances.size() + ")");
        return rows;
    }

    /** The longest stretch inside the window without a COMPLETED event from the instance. */
    private static long longestGap(List<JsonNode> events, String instance, Window window) {
        List<Instant> times = new ArrayList<>();
        times.add(window.from());
        for (JsonNode event : events) {
            Instant at = Instant.parse(event.path("at").asText());
            if (instance.equals(event.path("instance").asText()) && event.path("state").asText().equals("COMPLETED")
                    && !at.isBefore(window.from()) && !at.isAfter(window.to())) {
                times.add(at);
            }
        }
        times.add(window.to());
        times.sort(null);
        long gap = 0;
        for (int i = 1; i < times.size(); i++) {
            gap = Math.max(gap, Duration.between(times.get(i - 1), times.get(i)).toMillis());
        }
        return gap;
    }

    private static long max(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    private static String table(Map<String, Map<String, Object>> results) {
        List<String> protocols = new ArrayList<>(results.keySet());
        StringBuilder out = new StringBuilder("| measure | " + String.join(" | ", protocols) + " |\n|---|");
        protocols.forEach(p -> out.append("---|"));
        out.append('\n');
        for (String row : results.get(protocols.get(0)).keySet()) {
            out.append("| ").append(row).append(" |");
            protocols.forEach(p -> out.append(' ').append(results.get(p).get(row)).append(" |"));
            out.append('\n');
        }
        return out.toString();
    }
}
