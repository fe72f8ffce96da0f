package io.txprocessor.jdbc;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.core.OffsetMetadata;
import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.PostgresServer;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.SharedPostgres;
import io.txprocessor.testing.Topics;

/**
 * The packaged service with the jdbc handler ({@code TRANSACTIONS_HANDLER=jdbc}) against a real broker and a real
 * PostgreSQL server (one for the class, a database per test), stopped by real signals mid-load. The table is the
 * witness: a row is a booking committed, whatever the service published.
 */
@ExtendWith({SharedBroker.class, SharedPostgres.class})
class JdbcHandlerIT {

    private static final String COMPLETED = "transactions_processed_total{outcome=\"completed\"}";
    private static final String BOOKED_NEW = "transactions_bookings_total{result=\"new\"}";
    private static final String ALREADY_BOOKED = "transactions_bookings_total{result=\"already-booked\"}";

    /**
     * 400 records, one account each, 32 workers, every insert 300 ms (a trigger); 16 of the ids are held by the
     * test (rows it inserted in a transaction it leaves open), so their bookings wait on the row lock. SIGTERM:
     * the 16 working records finish during the drain (rows committed, COMPLETED published), the 16 blocked
     * statements are cancelled at the deadline (PostgreSQL logs 16 cancels "due to user request": no statement
     * timeout runs out before that), rolled back and SUSPENDED. Once the test's lock is gone, a second instance
     * books every other id, the 16 among them, none of them found booked before.
     */
    @Test
    void sigtermMidLoadCommitsWhatFinishesAndCancelsRollsBackAndHandsOffTheStatementsBlockedOnARowLock(
            KafkaBroker broker, PostgresServer postgres) throws Exception {
        Topics topics = new Topics(broker, "jdbc-term", 6);
        BookingsTable table = new BookingsTable(postgres, "jdbc_term");
        Map<String, String> env = table.serviceEnv(topics);
        env.put("TRANSACTIONS_MAX_CONCURRENCY", "32");
        // Records finished past a blocked one wait for it to be committed, and count against the window: with the
        // default (8 x 32) the window fills and nothing but the blocked records is in flight at the SIGTERM.
        env.put("TRANSACTIONS_MAX_PENDING_RECORDS", "1000");
        env.put("DRAIN_GRACE_PERIOD", "12s");
        // Longer than the drain: every cancel PostgreSQL logs is the drain's, none a statement timeout's.
        env.put("JDBC_STATEMENT_TIMEOUT", "60s");
        // The first ids: their records start among the first (a blocked one keeps its worker), on every partition.
        List<String> held = IntStream.range(0, 16).mapToObj(Topics::id).toList();

        List<String> ids;
        long cancelsBefore = userCancels(postgres);
        try (ServiceProcess first = ServiceProcess.start("jdbc-term-first", with(env, "HOSTNAME", "first"));
                Connection holder = table.connect()) {
            table.slowInserts(0.3);
            BookingsTable.holdRows(holder, held);
            ids = topics.produceTransactions(400, 400);
            // Mid-load: the 16 blocked, 16 more at work (0.3 s each, about 50 a second), hundreds still to come.
            await().atMost(Duration.ofSeconds(60)).until(() -> table.waitingForLocks() == held.size()
                    && first.metric("transactions_in_flight").orElse(0.0) >= held.size() + 8
                    && first.metric(COMPLETED).orElse(0.0) >= 30);
            first.sigterm();
            double completedAtSigterm = first.metric(COMPLETED).orElse(0.0);
            assertThat(first.awaitExit(Duration.ofSeconds(20))).as("exit status (records handed off)").isEqualTo(1);
            System.out.printf("jdbc, blocked statements: SIGTERM to exit %d ms (grace period 12000 ms)%n",
                    first.sigtermToExit().toMillis());
            assertThat(first.sigtermToExit()).as("SIGTERM to exit").isLessThan(Duration.ofSeconds(12));
            JsonNode report = first.shutdownReport().orElseThrow();
            System.out.printf("jdbc, blocked statements: %.0f completed at the SIGTERM; drain report %s%n",
                    completedAtSigterm, report);
            assertThat(report.path("suspended").asInt()).as("records handed off (SUSPENDED)").isEqualTo(held.size());
            assertThat(report.path("finished").asInt()).as("records that finished during the drain").isPositive();
            assertThat(first.logged(line -> line.contains("pool is closed")))
                    .as("a closed pool logged").isFalse();
            assertThat(userCancels(postgres) - cancelsBefore).as("statements cancelled by the drain")
                    .isEqualTo(held.size());
            holder.rollback();
        }

        List<JsonNode> events = topics.stateEvents();
        Set<String> completed = topics.countByState(events, "COMPLETED").keySet();
        Set<String> suspended = topics.countByState(events, "SUSPENDED").keySet();
        Set<String> rows = table.rows();
        System.out.printf("jdbc, blocked statements: first instance %d rows, %d COMPLETED, %d SUSPENDED%n",
                rows.size(), completed.size(), suspended.size());
        assertThat(suspended).as("SUSPENDED: the blocked ones").containsExactlyInAnyOrderElementsOf(held);
        assertThat(rows).as("rows: exactly the COMPLETED ids").containsExactlyInAnyOrderElementsOf(completed);
        assertThat(rows).as("rows of SUSPENDED ids (rolled back)").doesNotContainAnyElementsOf(suspended);
        assertThat(rows.size()).as("stopped mid-load").isLessThan(ids.size());

        table.slowInserts(0);
        int bookedByFirst = rows.size();
        try (ServiceProcess second = ServiceProcess.start("jdbc-term-second", with(env, "HOSTNAME", "second"))) {
            await().atMost(Duration.ofSeconds(90)).until(() -> table.rows().size() == ids.size()
                    && topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            assertThat(second.metric(BOOKED_NEW).orElse(0.0)).as("rows the second instance booked")
                    .isEqualTo(ids.size() - bookedByFirst);
            assertThat(second.metric(ALREADY_BOOKED).orElse(0.0)).as("ids the second found booked").isZero();
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(20))).isZero();
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), topics.deadLetterRecords().size());
        System.out.printf("jdbc, blocked statements: rows %d, events %d, completed twice %d, lost %d%n",
                table.rows().size(), topics.stateEvents().size(), audit.completedMoreThanOnce().size(),
                audit.lost().size());
        assertThat(table.rows()).as("rows").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(audit.lost()).as("lost").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed twice").isEmpty();
    }

    /**
     * SIGKILL mid-load (commit interval 30 s: little or nothing is committed before the kill, so nearly every
     * record is delivered again), then a second instance under the same name. Each transaction ends with exactly its
     * row; the second finds booked precisely the rows the killed one booked and did not commit, and books the rest: the table has no second effect
     * of a second delivery, whatever the states topic shows (at least once: repeats; exactly once: none for
     * read_committed readers).
     */
    @ParameterizedTest(name = "delivery={0}")
    @ValueSource(strings = {"at-least-once", "exactly-once"})
    void sigkillMidLoadThenASecondInstanceLeavesExactlyOneRowPerTransactionAndTheStatesTopicAgrees(String delivery,
            KafkaBroker broker, PostgresServer postgres) {
        boolean exactlyOnce = delivery.equals("exactly-once");
        Topics topics = new Topics(broker, "jdbc-kill", 6);
        BookingsTable table = new BookingsTable(postgres, "jdbc_kill_" + delivery.replace('-', '_'));
        Map<String, String> env = table.serviceEnv(topics);
        env.put("TRANSACTIONS_DELIVERY", delivery);
        env.put("TRANSACTIONS_MAX_CONCURRENCY", "16");
        env.put("TRANSACTIONS_COMMIT_INTERVAL", "30s");
        env.put("HOSTNAME", "first"); // the restart too: under exactly once it fences the killed transaction at once
        if (exactlyOnce) {
            env.put("TRANSACTIONS_TRANSACTION_TIMEOUT", "90s"); // more than twice the commit interval
        }

        List<String> ids;
        try (ServiceProcess first = ServiceProcess.start("jdbc-kill-" + delivery + "-first", env)) {
            table.slowInserts(0.02);
            ids = topics.produceTransactions(600, 100);
            await().atMost(Duration.ofSeconds(60)).until(() -> table.rows().size() >= 150);
            first.sigkill();
            first.awaitExit(Duration.ofSeconds(20));
        }
        // The killed instance's sessions end as PostgreSQL sees its connections close, rolling back what they held.
        await().atMost(Duration.ofSeconds(30)).until(() -> table.serviceSessions() == 0);
        Set<String> rowsAtKill = table.rows();
        assertThat(rowsAtKill.size()).as("rows at the kill (mid-load)").isLessThan(600);
        // The commit interval is 30 s, but a window half full commits early: records the killed instance committed
        // do not come again, so the second finds booked only the rows at the kill that it is delivered.
        long settledAtKill = settled(topics.committed());

        double alreadyBooked;
        double bookedNew;
        // Commits as usual from here: read_committed readers see the second's outcomes within a second.
        try (ServiceProcess second = ServiceProcess.start("jdbc-kill-" + delivery + "-second",
                with(env, "TRANSACTIONS_COMMIT_INTERVAL", "1s"))) {
            await().atMost(Duration.ofSeconds(120)).until(() -> {
                // A second delivery that tried to book twice is refused by the primary key: FAILED. Say so at once.
                assertThat(topics.countByState(topics.stateEvents(), "FAILED")).as("FAILED ids").isEmpty();
                return table.rows().size() == ids.size() && completed(topics, exactlyOnce).size() == ids.size();
            });
            alreadyBooked = second.metric(ALREADY_BOOKED).orElse(0.0);
            bookedNew = second.metric(BOOKED_NEW).orElse(0.0);
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(20))).as("the second's exit status").isZero();
        }
        List<JsonNode> events = exactlyOnce ? topics.committedStateEvents() : topics.stateEvents();
        Audit audit = Audit.of(ids, events, topics.deadLetterRecords().size());
        Set<String> rows = table.rows();
        System.out.printf(
                "jdbc, SIGKILL (%s): rows %d (%d at the kill, %d of them committed), events %d, second instance booked %.0f new"
                        + " and found %.0f booked, completed twice %d, failed %d, lost %d%n",
                delivery, rows.size(),
                rowsAtKill.size(), settledAtKill, events.size(), bookedNew, alreadyBooked,
                audit.completedMoreThanOnce().size(),
                audit.failed(), audit.lost().size());
        assertThat(rows).as("rows").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(new HashSet<>(completed(topics, exactlyOnce).keySet())).as("COMPLETED ids against the rows")
                .isEqualTo(rows);
        assertThat(audit.lost()).as("lost").isEmpty();
        assertThat(audit.failed()).as("failed").isZero();
        assertThat(alreadyBooked).as("redelivered ids found booked (no second effect; %d settled at the kill)",
                settledAtKill).isEqualTo((double) (rowsAtKill.size() - settledAtKill));
        assertThat(bookedNew).as("ids the second booked").isEqualTo((double) (ids.size() - rowsAtKill.size()));
        if (exactlyOnce) {
            assertThat(audit.completedMoreThanOnce()).as("ids COMPLETED twice (read_committed)").isEmpty();
        }
    }

    /** With the jdbc handler and no database configured, the start ends at once, saying what to set and install. */
    @Test
    void withoutADatabaseConfiguredTheStartEndsSayingWhatToSetAndInstall(KafkaBroker broker) {
        Topics topics = new Topics(broker, "jdbc-none", 1);
        Map<String, String> env = with(topics.serviceEnv(), "TRANSACTIONS_HANDLER", "jdbc");
        try (ServiceProcess service = ServiceProcess.start("jdbc-none", env, List.of("java", "-jar"), false)) {
            assertThat(service.awaitExit(Duration.ofSeconds(60))).as("exit status").isEqualTo(1);
            assertThat(service.logged(line -> line.contains("QUARKUS_DATASOURCE_JDBC_URL")
                    && line.contains("apt-get install postgresql"))).as("says what to set and install").isTrue();
        }
    }

    /** How many records the commits settle: those below each committed offset and those its metadata carries. */
    private static long settled(Map<TopicPartition, OffsetAndMetadata> committed) {
        return committed.values().stream()
                .mapToLong(commit -> commit.offset() + OffsetMetadata.decode(commit.metadata(), commit.offset())
                        .finished().size())
                .sum();
    }

    private static Map<String, Long> completed(Topics topics, boolean exactlyOnce) {
        return topics.countByState(exactlyOnce ? topics.committedStateEvents() : topics.stateEvents(), "COMPLETED");
    }

    private static long userCancels(PostgresServer postgres) {
        return postgres.log().lines().filter(line -> line.contains("canceling statement due to user request"))
                .count();
    }
}
