package io.txprocessor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.txprocessor.metrics.MetricsContractTest.Series;
import io.txprocessor.testing.KafkaTestResource;

/**
 * Every metric of the contract (README, Metrics; declared in {@link ProcessorMetrics}) is exported from start, with
 * its Prometheus name and labels, before any drain: dashboards and alerts rely on these names, and a series that
 * appeared only with the first drain would leave them blind until then. A profile of its own gives this class a
 * fresh application, so no other test (a drain in {@link MetricsContractTest}, whichever order they run in) has
 * touched it when it scrapes.
 */
@QuarkusTest
@TestProfile(MetricsFromStartTest.FreshApplication.class)
@WithTestResource(KafkaTestResource.class)
class MetricsFromStartTest {

    /** No overrides: only a profile no other test uses, so Quarkus starts an application for this class alone. */
    public static class FreshApplication implements QuarkusTestProfile {
    }

    @TestHTTPResource("/q/metrics")
    URI metrics;

    @Test
    void everyMetricOfTheContractIsExportedFromStartWithItsLabels() {
        List<Series> exported = MetricsContractTest.scrape(metrics);

        MetricsContractTest.assertExported(exported, "transactions_processed_total", Map.of("outcome", "completed"));
        MetricsContractTest.assertExported(exported, "transactions_processed_total", Map.of("outcome", "failed"));
        MetricsContractTest.assertExported(exported, "transactions_processed_total",
                Map.of("outcome", "dead_lettered"));
        MetricsContractTest.assertExported(exported, "transactions_in_flight", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_processing_seconds_bucket", Map.of("le", "+Inf"));
        MetricsContractTest.assertExported(exported, "transactions_processing_seconds_count", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_processing_seconds_sum", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_processing_seconds_max", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_redelivered_total", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_publish_failures_total",
                Map.of("kind", "retriable"));
        MetricsContractTest.assertExported(exported, "transactions_publish_failures_total",
                Map.of("kind", "unpublishable"));
        MetricsContractTest.assertExported(exported, "transactions_handler_crashes_total", Map.of());
        MetricsContractTest.assertExported(exported, "partition_start_lookup_failures_total", Map.of());
        MetricsContractTest.assertExported(exported, "transactions_producer_transactions_total",
                Map.of("result", "committed"));
        MetricsContractTest.assertExported(exported, "transactions_producer_transactions_total",
                Map.of("result", "aborted"));
        MetricsContractTest.assertExported(exported, "drain_state", Map.of());
        MetricsContractTest.assertExported(exported, "drain_grace_period_seconds", Map.of());
        MetricsContractTest.assertExported(exported, "drain_deadline_remaining_seconds", Map.of());
        for (String trigger : List.of("shutdown", "rebalance", "partitions-lost")) {
            MetricsContractTest.assertExported(exported, "drain_records_finished_total", Map.of("trigger", trigger));
            MetricsContractTest.assertExported(exported, "drain_records_suspended_total", Map.of("trigger", trigger));
        }
        assertThat(MetricsContractTest.value(metrics, "drain_state")).isZero();
        assertThat(MetricsContractTest.value(metrics, "drain_grace_period_seconds")).isEqualTo(30.0);
        assertThat(MetricsContractTest.value(metrics, "drain_deadline_remaining_seconds")).isZero();
    }
}
