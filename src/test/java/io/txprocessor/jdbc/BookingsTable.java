package io.txprocessor.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.flywaydb.core.Flyway;

import io.txprocessor.testing.PostgresServer;
import io.txprocessor.testing.Topics;

/** The jdbc handler's table in one test's database, as the tests read and disturb it. */
final class BookingsTable {

    private final PostgresServer server;
    private final String database;
    /** The environment that points a service at this database, with the jdbc handler. */
    final Map<String, String> env;

    BookingsTable(PostgresServer server, String database) {
        this.server = server;
        this.database = database;
        this.env = server.createDatabase(database);
    }

    /** The service's environment for these topics and this database, with the jdbc handler. */
    Map<String, String> serviceEnv(Topics topics) {
        Map<String, String> service = topics.serviceEnv();
        service.putAll(env);
        service.put("TRANSACTIONS_HANDLER", "jdbc");
        return service;
    }

    /**
     * Creates the table before any service runs, by the service's own migrations ({@code db/migration}, as
     * {@code quarkus.flyway.migrate-at-start} applies them), so that a test can slow it down ({@link #slowInserts})
     * before the first record arrives; the services' Flyway then finds the schema up to date.
     */
    void migrate() {
        Flyway.configure().dataSource(env.get("QUARKUS_DATASOURCE_JDBC_URL"), env.get("QUARKUS_DATASOURCE_USERNAME"),
                env.get("QUARKUS_DATASOURCE_PASSWORD")).locations("classpath:db/migration").load().migrate();
    }

    Connection connect() throws SQLException {
        return server.connect(database);
    }

    /** The transaction ids booked (committed rows). */
    Set<String> rows() {
        Set<String> ids = new HashSet<>();
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT transaction_id FROM bookings")) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    /**
     * Every insert into the table takes {@code seconds} more (a BEFORE INSERT trigger sleeping), so that a few
     * hundred records last long enough to stop a service mid-load; 0 drops the trigger. Not while {@link #holdRows}
     * holds rows: a trigger changes the table, which waits for every open transaction on it.
     */
    void slowInserts(double seconds) {
        execute("DROP TRIGGER IF EXISTS slow_booking ON bookings", "DROP FUNCTION IF EXISTS slow_booking()");
        if (seconds > 0) {
            execute("CREATE FUNCTION slow_booking() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep("
                    + seconds + "); RETURN NEW; END $$",
                    "CREATE TRIGGER slow_booking BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION "
                            + "slow_booking()");
        }
    }

    /** Sessions of services on this database (the tests' own not counted): 0 once a killed one's are gone. */
    int serviceSessions() {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                + "pg_backend_pid() AND backend_type = 'client backend'");
    }

    /** Statements waiting for a lock (on a row the test holds). */
    int waitingForLocks() {
        return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                + "wait_event_type = 'Lock'");
    }

    /**
     * Inserts rows for {@code ids} in a database transaction left open on {@code connection}: the service's
     * inserts of the same ids wait for it (the primary key's lock) until it ends. Closing the connection rolls it
     * back.
     */
    static void holdRows(Connection connection, List<String> ids) throws SQLException {
        connection.setAutoCommit(false);
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO bookings (transaction_id, account, amount, currency) VALUES (?, 'held', 0, 'EUR')")) {
            for (String id : ids) {
                insert.setString(1, id);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    private int count(String query) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            result.next();
            return result.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String... statements) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            // A lock the test itself holds (holdRows) would otherwise make this wait forever: fail instead.
            statement.execute("SET lock_timeout = '10s'");
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
