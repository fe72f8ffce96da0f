package io.txprocessor.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.txprocessor.testing.InProcess;
import io.txprocessor.testing.KafkaTestResource;
import io.txprocessor.testing.Topics;

/**
 * Metrics of the contract (README, Metrics; declared in {@link ProcessorMetrics}) that a drain exports, with their
 * Prometheus names and labels. What is exported from start is {@link MetricsFromStartTest}'s, on an application of
 * its own. Not here: {@code kafka_consumer_fetch_manager_records_lag}, the Kafka client's own series, which
 * Micrometer binds up to a minute after start ({@code ConsumerLagMetricIT} waits for it and checks its value).
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class MetricsContractTest {

    /** One series: the metric name and its labels (sorted), without the value. */
    record Series(String name, Map<String, String> labels) {
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @TestHTTPResource("/q/metrics")
    URI metrics;

    Topics topics;

    @Test
    void aRebalanceDrainIsExportedAsDrainDurationSecondsByTriggerAndOutcome() {
        // A second member joins the service's group: the cooperative rebalance takes partitions from the service,
        // whose revocation drain then records drain_duration_seconds{trigger="rebalance"}.
        try (KafkaConsumer<byte[], byte[]> member = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, topics.serviceEnv().get("KAFKA_BOOTSTRAP_SERVERS"),
                ConsumerConfig.GROUP_ID_CONFIG, topics.group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            member.subscribe(List.of(topics.input));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return !member.assignment().isEmpty();
            });
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertExported(scrape(),
                    "drain_duration_seconds_count", Map.of("trigger", "rebalance", "outcome", "clean")));
        }
        List<Series> exported = scrape();
        assertExported(exported, "drain_duration_seconds_sum", Map.of("trigger", "rebalance", "outcome", "clean"));
        assertExported(exported, "drain_duration_seconds_max", Map.of("trigger", "rebalance", "outcome", "clean"));
    }

    private List<Series> scrape() {
        return scrape(metrics);
    }

    /** Every series of one scrape of {@code metrics}. */
    static List<Series> scrape(URI metrics) {
        List<Series> series = new ArrayList<>();
        for (String line : InProcess.get(metrics).body().split("\n")) {
            Matcher matcher = LINE.matcher(line);
            if (line.startsWith("#") || !matcher.matches()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            if (matcher.group(2) != null) {
                Matcher label = LABEL.matcher(matcher.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            series.add(new Series(matcher.group(1), labels));
        }
        return series;
    }

    static void assertExported(List<Series> exported, String name, Map<String, String> labels) {
        assertThat(exported).as("series %s%s", name, labels).contains(new Series(name, new TreeMap<>(labels)));
    }

    /** The value of the series {@code name} without labels, in one scrape of {@code metrics}. */
    static double value(URI metrics, String name) {
        for (String line : InProcess.get(metrics).body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " without labels in the scrape");
    }
}
