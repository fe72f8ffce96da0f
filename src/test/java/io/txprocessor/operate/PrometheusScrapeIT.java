package io.txprocessor.operate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.txprocessor.operate.DrainPicture.Sample;
import io.txprocessor.operate.DrainPicture.Suspended;
import io.txprocessor.testing.Ci;
import io.txprocessor.testing.FreePorts;
import io.txprocessor.testing.Http;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ProcessTools;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * A real Prometheus scraping the packaged service through a shutdown drain with handlers that never finish, and
 * the operating files in {@code deploy/} checked against that Prometheus:
 *
 * <ul>
 * <li>Prometheus's samples show the drain: {@code drain_state} reached 1, and {@code transactions_in_flight}
 * fell from its steady 64 before the process exited;
 * <li>every PromQL expression in {@code deploy/grafana/dashboard.json} and {@code deploy/prometheus/alerts.yml}
 * is accepted by its query API, names only metrics the service exports, and the rules load and evaluate;
 * <li>the drain, sampled from {@code /q/metrics} every 50 ms, is drawn by {@link DrainPicture} and rendered to a
 * PNG with headless Chromium ({@code target/drain-pictures/}).
 * </ul>
 *
 * Without prometheus (or chromium, for the picture) on the PATH the tests are skipped, except under
 * CI (see {@link Ci}), where they fail. One drain serves all three tests; it runs when the first of them needs it.
 */
@ExtendWith(SharedBroker.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusScrapeIT {

    private static final Duration GRACE_PERIOD = Duration.ofSeconds(10);
    /** drain.exit-margin's default: the process is gone this long before SIGKILL. */
    private static final Duration EXIT_MARGIN = Duration.ofSeconds(1);
    /**
     * After the hand-off, in-flight reads 0 for only about 150 ms before the HTTP server stops; Prometheus must
     * scrape often enough to see it.
     */
    private static final Duration SCRAPE_INTERVAL = Duration.ofMillis(100);
    private static final String JOB = "transaction-processor";
    private static final String NAME = "prometheus-scrape-hung-handlers";
    private static final Path ALERTS = Path.of("deploy", "prometheus", "alerts.yml");
    private static final Path DASHBOARD = Path.of("deploy", "grafana", "dashboard.json");
    private static final Path PICTURES = Path.of("target", "drain-pictures");
    /**
     * Metrics the expressions use that this run cannot show: the drain timer is registered when a drain ends, a
     * moment before the exit, and the Kafka client's per-partition lag is bound up to a minute after the consumer
     * starts (ConsumerLagMetricIT waits for it, and checks its value against the broker's offsets).
     */
    private static final Set<String> REGISTERED_LATE = Set.of("drain_duration_seconds_count",
            "drain_duration_seconds_max", "drain_duration_seconds_sum", "kafka_consumer_fetch_manager_records_lag");

    private final int servicePort = FreePorts.next();
    private LocalPrometheus prometheus;
    /** Why there is no Prometheus to test with, when there is none. */
    private String noPrometheus;
    private Drain drain;
    private Throwable drainFailure;

    @BeforeAll
    void startPrometheus() {
        // Skipping here would report no tests at all; each test skips itself instead, with the reason.
        Optional<Path> binary = Ci.findOnPath("prometheus");
        if (binary.isPresent()) {
            prometheus = LocalPrometheus.start(binary.get(), servicePort, SCRAPE_INTERVAL, ALERTS.toAbsolutePath());
        } else {
            noPrometheus = Ci.notOnPath("apt-get install -y prometheus", "prometheus");
        }
    }

    /** Before the tests' parameters are resolved, so that a skipped test does not start a broker. */
    @BeforeEach
    void skipWithoutPrometheus() {
        if (prometheus == null) {
            throw Ci.unavailable(noPrometheus);
        }
    }

    @AfterAll
    void stopPrometheus() {
        if (prometheus != null) {
            prometheus.close();
        }
    }

    @Test
    void prometheusSeesTheDrainStartAndTheRecordsInFlightFallBeforeTheExit(KafkaBroker broker) {
        Drain drain = drain(broker);
        Instant after = drain.exitAt().plusSeconds(1);
        List<Sample> states = prometheus.samples("drain_state", after);
        List<Sample> inFlight = prometheus.samples("transactions_in_flight", after);
        report(drain, states, inFlight);

        assertThat(states).as("drain_state samples").extracting(Sample::inFlight).contains(1.0);
        assertThat(states.stream().filter(s -> s.inFlight() >= 1).map(Sample::at))
                .as("drain_state left 0 only after SIGTERM")
                .allMatch(at -> !at.isBefore(drain.sigtermAt().minusMillis(50)));
        double maxBefore = inFlight.stream().filter(s -> s.at().isBefore(drain.sigtermAt()))
                .mapToDouble(Sample::inFlight).max().orElseThrow(() -> new AssertionError(
                        "Prometheus has no transactions_in_flight sample before SIGTERM: " + inFlight));
        Sample last = inFlight.get(inFlight.size() - 1);
        assertThat(maxBefore).as("in flight before SIGTERM").isEqualTo(64.0);
        assertThat(last.at()).as("the last in-flight sample was taken during the drain").isAfter(drain.sigtermAt());
        assertThat(last.inFlight()).as("in flight at the last scrape before the exit (max before SIGTERM: %s)",
                maxBefore).isLessThan(maxBefore);
    }

    @Test
    void everyDashboardAndAlertExpressionIsAcceptedByPrometheusAndNamesExportedMetrics(KafkaBroker broker) {
        // The drain makes sure the service's metrics have been scraped, so names can be checked too.
        Drain drain = drain(broker);
        Map<String, String> expressions = new LinkedHashMap<>();
        expressions.putAll(alertExpressions());
        expressions.putAll(dashboardExpressions());
        assertThat(expressions).as("expressions found").hasSizeGreaterThan(20);

        Set<String> exported = prometheus.metricNames(drain.exitAt().plusSeconds(1));
        List<String> problems = new ArrayList<>();
        expressions.forEach((where, expression) -> {
            String promql = substituteGrafanaVariables(expression);
            if (promql.contains("$")) {
                problems.add(where + ": a Grafana variable this test does not know: " + promql);
                return;
            }
            JsonNode response = prometheus.api("/api/v1/query?query=" + encode(promql));
            if (!"success".equals(response.path("status").asText())) {
                problems.add(where + ": " + response.path("error").asText(response.toString()) + "\n    " + promql);
            }
            for (String metric : metricNames(promql)) {
                if (!exported.contains(metric) && !REGISTERED_LATE.contains(metric)) {
                    problems.add(where + ": " + metric + " is not among the metrics Prometheus scraped");
                }
            }
        });
        assertThat(problems).as("problems with the expressions").isEmpty();

        // The real Prometheus loaded the rule file and evaluates every rule without error.
        int alerts = AlertRulesTest.alerts(readYaml(ALERTS)).size();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            List<String> health = new ArrayList<>();
            for (JsonNode group : prometheus.api("/api/v1/rules").path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    health.add(rule.path("name").asText() + "=" + rule.path("health").asText()
                            + (rule.hasNonNull("lastError") ? " " + rule.path("lastError").asText() : ""));
                }
            }
            assertThat(health).as("rules loaded by Prometheus and their health").hasSize(alerts)
                    .allMatch(rule -> rule.contains("=ok"));
        });
    }

    @Test
    void theDrainIsDrawnAsATimelineAndRenderedToAPng(KafkaBroker broker) throws IOException {
        Drain drain = drain(broker);
        DrainPicture picture = new DrainPicture("hung handlers, " + GRACE_PERIOD.toSeconds() + " s grace period",
                drain.samples(), drain.sigtermAt(), drain.sigtermAt().plus(GRACE_PERIOD).minus(EXIT_MARGIN),
                drain.sigtermAt().plus(GRACE_PERIOD), drain.exitAt(), drain.suspended(),
                DrainPicture.Report.fromDrainReport(drain.report(), drain.exitStatus()));
        Path html = picture.writeTo(PICTURES.resolve(NAME + ".html"));
        String page = Files.readString(html);
        assertThat(page).as("self-contained").doesNotContain("<script", "<link", "@import", "url(", "src=");
        assertThat(Pattern.compile("SUSPENDED at").matcher(page).results().count())
                .as("a mark for each suspended record").isEqualTo(drain.suspended().size());

        String[] chromiums = {"chromium", "chromium-browser", "google-chrome"};
        Path chromium = Ci.findOnPath(chromiums).orElseThrow(() -> Ci.unavailable(
                Ci.notOnPath("apt-get install -y chromium", chromiums) + "; the page is at " + html.toAbsolutePath()));
        Path png = PICTURES.resolve(NAME + ".png").toAbsolutePath();
        Files.deleteIfExists(png);
        render(chromium, html.toAbsolutePath(), png);

        assertThat(png).exists();
        assertThat(Files.size(png)).as("PNG size").isGreaterThan(20_000);
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1400);
        assertThat(image.getHeight()).isEqualTo(900);
        // Drawn, not blank: the in-flight line's blue and the SIGTERM marker's orange are on it.
        assertThat(pixelsNear(image, 0x1f6fb5)).as("pixels of the in-flight line").isGreaterThan(500);
        assertThat(pixelsNear(image, 0xe67e22)).as("pixels of the SIGTERM marker").isGreaterThan(100);
        System.out.println("drain picture: " + html.toAbsolutePath() + " rendered to " + png);
    }

    // ---- the drain ----------------------------------------------------------------------------------------------

    /** What one drain did, as the test saw it. */
    private record Drain(Instant sigtermAt, Instant exitAt, int exitStatus, List<Sample> samples,
            List<Suspended> suspended, JsonNode report) {
    }

    /** The one drain the tests look at: run by the first test that needs it; its failure fails them all. */
    private synchronized Drain drain(KafkaBroker broker) {
        if (drain == null && drainFailure == null) {
            try {
                drain = runDrain(broker);
            } catch (RuntimeException | Error e) {
                drainFailure = e;
            }
        }
        if (drainFailure != null) {
            throw new AssertionError("the drain these tests look at failed", drainFailure);
        }
        return drain;
    }

    private Drain runDrain(KafkaBroker broker) {
        Topics topics = new Topics(broker, "scrape", 6);
        topics.produceTransactions(300, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "1h");
        env.put("DRAIN_GRACE_PERIOD", GRACE_PERIOD.toSeconds() + "s");
        env.put("HOSTNAME", "scraped");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(servicePort));

        try (ServiceProcess service = ServiceProcess.start(NAME, env);
                DrainPicture.Sampler sampler = DrainPicture.Sampler.start(service, Duration.ofMillis(50))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> service.metric("transactions_in_flight").orElse(0.0) == 64.0);
            // Prometheus must have the steady state before the signal, or "fell" would mean nothing; and the
            // picture shows a couple of seconds of it, to compare the drain with.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> prometheus.latest("transactions_in_flight").orElse(0.0) == 64.0
                            && sampler.steadyFor(64.0).compareTo(Duration.ofSeconds(2)) >= 0);

            Instant sigtermAt = Instant.now();
            service.sigterm();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                    .until(() -> service.metric("drain_state").orElse(0.0) == 1.0);
            String metricsDuringDrain = service.get("/q/metrics").map(HttpResponse::body).orElse("");
            int exitStatus = service.awaitExit(GRACE_PERIOD.plusSeconds(5));
            Instant exitAt = sigtermAt.plus(service.sigtermToExit());
            List<Sample> samples = sampler.awaitSamples(Duration.ofSeconds(5));

            JsonNode report = service.shutdownReport()
                    .orElseThrow(() -> new AssertionError("no drain-report line; output:\n"
                            + String.join("\n", service.lines())));
            assertThat(exitStatus).as("exit status (handlers never finish: something is handed off)").isOne();
            assertThat(report.path("suspended").asInt()).as("suspended in the report").isEqualTo(64);
            List<Suspended> suspended = topics.stateEvents().stream()
                    .filter(event -> "SUSPENDED".equals(event.path("state").asText())).map(Suspended::fromEvent)
                    .toList();
            assertThat(suspended).as("SUSPENDED events").hasSize(64);
            writeMetricsDuringDrain(metricsDuringDrain);
            return new Drain(sigtermAt, exitAt, exitStatus, samples, suspended, report);
        }
    }

    /** Keeps the service's own drain metrics from a scrape taken during the drain, for the docs. */
    private static void writeMetricsDuringDrain(String body) {
        try {
            Files.createDirectories(PICTURES);
            String lines = String.join("\n", body.lines()
                    .filter(line -> line.startsWith("transactions_in_flight") || line.startsWith("drain_")
                            || line.startsWith("transactions_processed_total")
                            || line.startsWith("transactions_redelivered_total")
                            || line.startsWith("kafka_consumer_fetch_manager_records_lag"))
                    .toList());
            Files.writeString(PICTURES.resolve(NAME + "-metrics-during-drain.txt"), lines + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What Prometheus saw around the drain, printed for whoever reads the test output. */
    private static void report(Drain drain, List<Sample> states, List<Sample> inFlight) {
        StringBuilder text = new StringBuilder("Prometheus samples, seconds since SIGTERM:\n");
        for (Sample sample : inFlight) {
            double t = Duration.between(drain.sigtermAt(), sample.at()).toMillis() / 1000.0;
            if (t > -1) {
                Optional<Sample> state = states.stream().filter(s -> s.at().equals(sample.at())).findFirst();
                text.append(String.format(Locale.ROOT, "  %+7.3f  transactions_in_flight %-5s drain_state %s%n", t,
                        format(sample.inFlight()), state.map(s -> format(s.inFlight())).orElse("-")));
            }
        }
        text.append(String.format(Locale.ROOT, "  exit at %+.3f s with status %d%n",
                Duration.between(drain.sigtermAt(), drain.exitAt()).toMillis() / 1000.0, drain.exitStatus()));
        System.out.print(text);
        try {
            Files.createDirectories(PICTURES);
            Files.writeString(PICTURES.resolve(NAME + "-prometheus-samples.txt"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- expressions ----------------------------------------------------------------------------------------------

    private static Map<String, String> alertExpressions() {
        Map<String, String> expressions = new LinkedHashMap<>();
        AlertRulesTest.alerts(readYaml(ALERTS))
                .forEach((name, rule) -> expressions.put(ALERTS + " " + name, rule.path("expr").asText()));
        return expressions;
    }

    private static Map<String, String> dashboardExpressions() {
        JsonNode dashboard;
        try {
            dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> expressions = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                expressions.put(DASHBOARD + " panel \"" + panel.path("title").asText() + "\" "
                        + target.path("refId").asText(), target.path("expr").asText());
            }
        }
        for (JsonNode annotation : dashboard.path("annotations").path("list")) {
            if (annotation.hasNonNull("expr")) {
                expressions.put(DASHBOARD + " annotation \"" + annotation.path("name").asText() + "\"",
                        annotation.path("expr").asText());
            }
        }
        // A variable's label_values(selector, label) runs the selector: check that.
        Pattern labelValues = Pattern.compile("label_values\\((.*),\\s*\\w+\\)");
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher matcher = labelValues.matcher(variable.path("definition").asText());
            if (matcher.matches()) {
                expressions.put(DASHBOARD + " variable $" + variable.path("name").asText(), matcher.group(1));
            }
        }
        return expressions;
    }

    /** Grafana's built-in and dashboard variables replaced with what they stand for at query time. */
    static String substituteGrafanaVariables(String expression) {
        return expression.replace("$__rate_interval", "1m").replace("${__rate_interval}", "1m")
                .replace("$__interval", "15s").replace("${__interval}", "15s").replace("$__range", "1h")
                .replace("${__range}", "1h").replace("${job}", JOB).replace("$job", JOB)
                .replace("${instance}", ".+").replace("$instance", ".+");
    }

    private static final Set<String> PROMQL_WORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2");

    /**
     * The metric names an expression selects: identifiers outside strings, label matchers, grouping clauses and
     * range brackets that are neither functions (followed by a parenthesis) nor keywords.
     */
    static Set<String> metricNames(String promql) {
        String bare = promql.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"").replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher identifier = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(\\s*\\()?").matcher(bare);
        while (identifier.find()) {
            String word = identifier.group(1);
            boolean function = identifier.group(2) != null;
            if (!function && !PROMQL_WORDS.contains(word.toLowerCase(Locale.ROOT))) {
                names.add(word);
            }
        }
        return names;
    }

    private static JsonNode readYaml(Path file) {
        try {
            return new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    // ---- rendering --------------------------------------------------------------------------------------------

    private static void render(Path chromium, Path html, Path png) throws IOException {
        Path profile = Files.createTempDirectory("chromium-profile-");
        List<String> command = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile, "--screenshot=" + png,
                "--window-size=1400,900", html.toUri().toString());
        Path log = PICTURES.resolve(NAME + "-chromium.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                fail("chromium did not finish within 120 s; see " + log);
            }
            assertThat(process.exitValue()).as("chromium's exit status; see %s", log).isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while chromium rendered " + html, e);
        } finally {
            // Chromium's helper processes are ours too: none may outlive the test.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            ProcessTools.deleteRecursively(profile);
        }
    }

    /** Pixels within a small distance of an RGB colour (anti-aliasing shifts the edges). */
    private static long pixelsNear(BufferedImage image, int rgb) {
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int pixel = image.getRGB(x, y);
                int dr = ((pixel >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                int dg = ((pixel >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                int db = (pixel & 0xff) - (rgb & 0xff);
                if (dr * dr + dg * dg + db * db < 30 * 30) {
                    count++;
                }
            }
        }
        return count;
    }

    // ---- tools ----------------------------------------------------------------------------------------------------

    /**
     * A Prometheus server of its own: configuration, data and log in a temporary directory, listening on a free
     * loopback port, scraping one target and loading the alert rules. {@link #close()} stops it (a shutdown hook
     * does, if the JVM ends first) and keeps its log under {@code target/service-logs/}.
     */
    static final class LocalPrometheus implements AutoCloseable {

        private static final ObjectMapper JSON = new ObjectMapper();

        private final Process process;
        private final Path directory;
        private final int port;
        private final Thread reaper;

        private LocalPrometheus(Process process, Path directory, int port) {
            this.process = process;
            this.directory = directory;
            this.port = port;
            this.reaper = new Thread(this::stopProcess, "prometheus-reaper");
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        static LocalPrometheus start(Path binary, int targetPort, Duration scrapeInterval, Path rules) {
            try {
                Path directory = Files.createTempDirectory("prometheus-");
                int port = FreePorts.next();
                String interval = scrapeInterval.toMillis() + "ms";
                Path config = directory.resolve("prometheus.yml");
                Files.writeString(config, """
                        global:
                          scrape_interval: %s
                          scrape_timeout: %s
                          evaluation_interval: 1s
                        rule_files:
                          - "%s"
                        scrape_configs:
                          - job_name: %s
                            metrics_path: /q/metrics
                            static_configs:
                              - targets: ["127.0.0.1:%d"]
                        """.formatted(interval, interval, rules, JOB, targetPort));
                Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                        "--storage.tsdb.path=" + directory.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port, "--log.level=info")
                        .directory(directory.toFile()).redirectErrorStream(true)
                        .redirectOutput(directory.resolve("prometheus.log").toFile()).start();
                LocalPrometheus prometheus = new LocalPrometheus(process, directory, port);
                try {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                            .until(prometheus::ready);
                } catch (RuntimeException | Error e) {
                    prometheus.close();
                    throw e;
                }
                return prometheus;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private boolean ready() {
            if (!process.isAlive()) {
                throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + log());
            }
            return get("/-/ready").map(response -> response.statusCode() == 200).orElse(false);
        }

        /** A query API call; fails if Prometheus does not answer with JSON. */
        JsonNode api(String pathAndQuery) {
            HttpResponse<String> response = get(pathAndQuery)
                    .orElseThrow(() -> new AssertionError("prometheus did not answer " + pathAndQuery));
            try {
                return JSON.readTree(response.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON from " + pathAndQuery + ": " + response.body(), e);
            }
        }

        /** The latest value of a single-series instant query, if there is one. */
        Optional<Double> latest(String promql) {
            JsonNode result = api("/api/v1/query?query=" + encode(promql)).path("data").path("result");
            return result.isEmpty() ? Optional.empty() : Optional.of(result.get(0).path("value").get(1).asDouble());
        }

        /** Every raw sample of a single series stored in the two minutes before {@code at}. */
        List<Sample> samples(String metric, Instant at) {
            JsonNode result = api("/api/v1/query?query=" + encode(metric + "{job=\"" + JOB + "\"}[2m]") + "&time="
                    + seconds(at)).path("data").path("result");
            assertThat(result).as("series of %s", metric).hasSize(1);
            List<Sample> samples = new ArrayList<>();
            for (JsonNode value : result.get(0).path("values")) {
                samples.add(new Sample(Instant.ofEpochMilli(Math.round(value.get(0).asDouble() * 1000)),
                        value.get(1).asDouble()));
            }
            return samples;
        }

        /** The names of every series scraped from the job in the five minutes before {@code at}. */
        Set<String> metricNames(Instant at) {
            JsonNode result = api("/api/v1/query?query="
                    + encode("count by (__name__) (last_over_time({job=\"" + JOB + "\"}[5m]))") + "&time="
                    + seconds(at)).path("data").path("result");
            Set<String> names = new HashSet<>();
            result.forEach(series -> names.add(series.path("metric").path("__name__").asText()));
            return names;
        }

        private Optional<HttpResponse<String>> get(String pathAndQuery) {
            return Http.get(port, pathAndQuery, Duration.ofSeconds(10));
        }

        private static String seconds(Instant at) {
            return String.format(Locale.ROOT, "%.3f", at.toEpochMilli() / 1000.0);
        }

        private String log() {
            try {
                return Files.readString(directory.resolve("prometheus.log"));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() {
            stopProcess();
            ProcessTools.removeShutdownHook(reaper);
            try {
                Path logs = Path.of("target", "service-logs");
                Files.createDirectories(logs);
                Files.copy(directory.resolve("prometheus.log"), logs.resolve(NAME + "-prometheus.log"),
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // the log is a convenience; the temporary directory goes either way
            }
            ProcessTools.deleteRecursively(directory);
        }

        private void stopProcess() {
            ProcessTools.stop(process);
        }
    }
}
