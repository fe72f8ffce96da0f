package io.txprocessor.jdbc;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;

/**
 * What a failed booking means: the database could not take it now (try again), or it refused this transaction for
 * good (FAILED). Pure, so that the rules are tested without a database.
 */
public enum SqlFailure {
    /** No connection, a statement cancelled by its timeout, a deadlock, the server shutting down: try again. */
    TRANSIENT,
    /** The database refused the row itself (a value it cannot store, a missing table): again would be refused. */
    PERMANENT;

    /**
     * By SQLSTATE class: 08 (connection), 40 (transaction rollback: serialization failure, deadlock), 53
     * (insufficient resources), 55P03 (lock not available), 57 (operator intervention: query cancelled by the
     * statement timeout, admin shutdown, cannot connect now), 58 (system error), and no SQLSTATE at all (the pool
     * could not hand out a connection in time) are transient, and so is whatever the JDBC API itself calls transient
     * or recoverable. Every other class (22 data exception, 23 integrity violation, 42 a schema error) is permanent.
     */
    public static SqlFailure of(SQLException failure) {
        if (failure instanceof SQLTransientException || failure instanceof SQLRecoverableException) {
            return TRANSIENT;
        }
        String state = failure.getSQLState();
        if (state == null || state.length() < 2 || "55P03".equals(state)) {
            return TRANSIENT;
        }
        return switch (state.substring(0, 2)) {
            case "08", "40", "53", "57", "58" -> TRANSIENT;
            default -> PERMANENT;
        };
    }

    /**
     * The wait before attempt {@code attempt} (2 for the first retry): {@code base} doubled per earlier retry, at
     * most {@code max}.
     */
    public static Duration backoff(Duration base, Duration max, int attempt) {
        int doublings = Math.min(Math.max(attempt - 2, 0), 20);
        Duration wait = base.multipliedBy(1L << doublings);
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
