package io.txprocessor.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.PostgresServer;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.SharedPostgres;
import io.txprocessor.testing.Topics;

/**
 * The database goes away mid-load and comes back (the test stops its PostgreSQL server, fast shutdown, and starts
 * it again on the same port and data): the jdbc handler tries the bookings again until the database answers, so
 * nothing is FAILED and nothing lost; readiness is DOWN while the database is unreachable (the datasource's health
 * check), liveness stays UP (a restart would not bring the database back). A class of its own: stopping the
 * server would disturb the other jdbc tests' database.
 */
@ExtendWith({SharedBroker.class, SharedPostgres.class})
class JdbcOutageIT {

    private static final String COMPLETED = "transactions_processed_total{outcome=\"completed\"}";
    /** How long the outage is watched before the database comes back. */
    private static final Duration OUTAGE = Duration.ofSeconds(5);

    @Test
    void aDatabaseOutageStallsTheBookingsWithoutFailingOrLosingAnyAndTurnsReadinessButNotLivenessDown(
            KafkaBroker broker, PostgresServer postgres) {
        Topics topics = new Topics(broker, "jdbc-outage", 6);
        BookingsTable table = new BookingsTable(postgres, "jdbc_outage");
        Map<String, String> env = table.serviceEnv(topics);
        env.put("TRANSACTIONS_MAX_CONCURRENCY", "16");
        env.put("JDBC_MAX_RETRY_BACKOFF", "1s");

        List<String> ids;
        Duration outage;
        try (ServiceProcess service = ServiceProcess.start("jdbc-outage", env)) {
            table.slowInserts(0.02);
            ids = topics.produceTransactions(600, 100);
            await().atMost(Duration.ofSeconds(60)).until(() -> service.metric(COMPLETED).orElse(0.0) >= 100);
            long stopped = System.nanoTime();
            postgres.stop();

            await("the handler saying it retries").atMost(Duration.ofSeconds(30))
                    .until(() -> service.logged(line -> line.contains("TXP2000")));
            await("readiness DOWN").atMost(Duration.ofSeconds(30))
                    .until(() -> service.httpStatus("/q/health/ready") == 503);
            // Liveness throughout a stretch of the outage, sampled every 100 ms.
            AtomicInteger samples = new AtomicInteger();
            AtomicLong since = new AtomicLong(System.nanoTime());
            await().atMost(OUTAGE.plusSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                assertThat(service.httpStatus("/q/health/live")).as("liveness while the database is down")
                        .isEqualTo(200);
                samples.incrementAndGet();
                return System.nanoTime() - since.get() >= OUTAGE.toNanos();
            });
            double completedDuringOutage = service.metric(COMPLETED).orElse(0.0);
            // The pool's own metrics (quarkus.datasource.metrics.enabled): the failed attempts to connect show.
            assertThat(service.metric("agroal_creation_count_total")).as("agroal pool metrics at /q/metrics")
                    .isPresent();
            assertThat(completedDuringOutage).as("stalled, not finished").isLessThan(ids.size());

            postgres.restart();
            outage = Duration.ofNanos(System.nanoTime() - stopped);
            await().atMost(Duration.ofSeconds(90)).until(() -> table.rows().size() == ids.size()
                    && topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            assertThat(service.httpStatus("/q/health/ready")).as("readiness once the database is back")
                    .isEqualTo(200);
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).as("exit status").isZero();
            System.out.printf("jdbc, database outage of %d ms: liveness UP in %d samples, %.0f completed before"
                    + " the database came back%n", outage.toMillis(), samples.get(), completedDuringOutage);
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), topics.deadLetterRecords().size());
        Set<String> rows = table.rows();
        System.out.printf("jdbc, database outage: rows %d, events %d, failed %d, completed twice %d, lost %d%n",
                rows.size(), topics.stateEvents().size(), audit.failed(), audit.completedMoreThanOnce().size(),
                audit.lost().size());
        assertThat(rows).as("rows").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(audit.failed()).as("FAILED").isZero();
        assertThat(audit.lost()).as("lost").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed twice").isEmpty();
    }
}
