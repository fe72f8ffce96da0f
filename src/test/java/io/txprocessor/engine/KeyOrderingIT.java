package io.txprocessor.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Key-ordered concurrency, seen from outside: records of one account never overlap and run in offset order,
 * while records of different accounts run many at a time, more than there are partitions.
 */
@ExtendWith(SharedBroker.class)
class KeyOrderingIT {

    @Test
    void sameAccountNeverConcurrentNorOutOfOffsetOrderWhileAccountsRunInParallel(KafkaBroker broker) {
        Topics topics = new Topics(broker, "ordering", 6);
        // Few accounts, many records each: lanes are contended all the time.
        List<String> ids = topics.produceTransactions(2400, 60);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "15ms");

        try (ServiceProcess service = ServiceProcess.start("ordering", env)) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> service.metric("transactions_processed_total{outcome=\"completed\"}")
                            .orElse(0.0) >= ids.size());
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
        }

        List<JsonNode> completed = topics.stateEvents().stream()
                .filter(e -> e.path("state").asText().equals("COMPLETED"))
                .toList();
        assertThat(completed).hasSize(ids.size());
        Map<String, List<JsonNode>> byAccount = completed.stream()
                .collect(Collectors.groupingBy(e -> e.path("account").asText()));
        for (Map.Entry<String, List<JsonNode>> account : byAccount.entrySet()) {
            List<JsonNode> inOffsetOrder = new ArrayList<>(account.getValue());
            inOffsetOrder.sort(Comparator.comparingLong(e -> e.path("offset").asLong()));
            for (int i = 1; i < inOffsetOrder.size(); i++) {
                JsonNode previous = inOffsetOrder.get(i - 1);
                JsonNode next = inOffsetOrder.get(i);
                assertThat(instant(next, "startedAt"))
                        .as("%s: offset %d started before offset %d finished", account.getKey(),
                                next.path("offset").asLong(), previous.path("offset").asLong())
                        .isAfterOrEqualTo(instant(previous, "at"));
            }
        }
        assertThat(maxOverlap(completed)).as("records running at once, across accounts")
                .isGreaterThan(topics.partitions());
    }

    /** The largest number of [startedAt, at] intervals that overlap at one instant. */
    private static int maxOverlap(List<JsonNode> events) {
        List<long[]> points = new ArrayList<>();
        for (JsonNode event : events) {
            points.add(new long[]{micros(instant(event, "startedAt")), 1});
            points.add(new long[]{micros(instant(event, "at")), -1});
        }
        points.sort(Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
        int running = 0;
        int max = 0;
        for (long[] point : points) {
            running += (int) point[1];
            max = Math.max(max, running);
        }
        return max;
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }

    private static Instant instant(JsonNode event, String field) {
        return Instant.parse(event.path(field).asText());
    }
}
