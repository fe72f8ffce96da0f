package io.txprocessor.operate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.txprocessor.testing.Ci;

/**
 * The alert rules in {@code deploy/prometheus/} as Prometheus's own tool reads them: {@code promtool check rules},
 * {@code promtool test rules} on {@code alerts-test.yml} and {@code promtool check config} on the example
 * {@code prometheus.yml}. Without promtool on the PATH these are skipped, except under CI (see {@link Ci}), where a
 * missing tool fails the build rather than silently testing nothing. The rules' shape (annotations, a firing and
 * a quiet test case per alert) is checked without promtool.
 */
class AlertRulesTest {

    private static final Path DIRECTORY = Path.of("deploy", "prometheus");
    private static final Path RULES = DIRECTORY.resolve("alerts.yml");
    private static final Path RULE_TESTS = DIRECTORY.resolve("alerts-test.yml");
    private static final Path CONFIG = DIRECTORY.resolve("prometheus.yml");
    private static final YAMLMapper YAML = new YAMLMapper();

    @Test
    void promtoolAcceptsTheRules() {
        assertSucceeds(promtool("check", "rules", RULES.toString()));
    }

    @Test
    void everyAlertFiresAndStaysQuietAsItsUnitTestsSay() {
        assertSucceeds(promtool("test", "rules", RULE_TESTS.toString()));
    }

    @Test
    void promtoolAcceptsTheExampleScrapeConfig() {
        assertSucceeds(promtool("check", "config", CONFIG.toString()));
    }

    @Test
    void everyAlertSaysWhatHappenedAndWhatToDoAndHasAFiringAndAQuietTestCase() {
        Map<String, JsonNode> alerts = alerts(read(RULES));
        assertThat(alerts).as("alerts in %s", RULES).isNotEmpty();

        Set<String> firing = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (JsonNode group : read(RULE_TESTS).path("tests")) {
            for (JsonNode test : group.path("alert_rule_test")) {
                String name = test.path("alertname").asText();
                (test.path("exp_alerts").isEmpty() ? quiet : firing).add(name);
            }
        }
        List<String> problems = new ArrayList<>();
        alerts.forEach((name, rule) -> {
            for (String annotation : List.of("summary", "description", "runbook")) {
                if (rule.path("annotations").path(annotation).asText().isBlank()) {
                    problems.add(name + " has no " + annotation + " annotation");
                }
            }
            if (rule.path("labels").path("severity").asText().isBlank()) {
                problems.add(name + " has no severity label");
            }
            if (!firing.contains(name)) {
                problems.add(name + " has no test case in " + RULE_TESTS + " where it fires");
            }
            if (!quiet.contains(name)) {
                problems.add(name + " has no test case in " + RULE_TESTS + " where it must not fire");
            }
        });
        Set<String> unknown = new TreeSet<>(firing);
        unknown.addAll(quiet);
        unknown.removeAll(alerts.keySet());
        unknown.forEach(name -> problems.add(RULE_TESTS + " tests " + name + ", which " + RULES + " does not define"));
        assertThat(problems).as("problems").isEmpty();
    }

    /** Every alerting rule by name. */
    static Map<String, JsonNode> alerts(JsonNode rules) {
        Map<String, JsonNode> alerts = new TreeMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.hasNonNull("alert")) {
                    alerts.put(rule.path("alert").asText(), rule);
                }
            }
        }
        return alerts;
    }

    private static JsonNode read(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    private record Result(List<String> command, int exitStatus, String output) {
    }

    private static void assertSucceeds(Result result) {
        assertThat(result.exitStatus())
                .as("%s exited with %d; its output:%n%s", String.join(" ", result.command()), result.exitStatus(),
                        result.output())
                .isZero();
    }

    private static Result promtool(String... args) {
        Path promtool = Ci.requireOnPath("apt-get install -y prometheus (Debian/Ubuntu), "
                + "or the promtool binary from https://prometheus.io/download/", "promtool");
        List<String> command = new ArrayList<>();
        command.add(promtool.toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            // promtool prints little; reading to the end before waiting cannot block on a full pipe.
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("%s did not finish within 60 s; its output so far:%n%s", String.join(" ", command), output);
            }
            return new Result(command, process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }
}
