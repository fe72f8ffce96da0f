package io.txprocessor.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import javax.sql.DataSource;

import io.txprocessor.transaction.Transaction;

/**
 * One attempt at booking a transaction: a connection from the pool, {@code INSERT ... ON CONFLICT DO NOTHING} in a
 * database transaction of its own, commit. Returns whether the row is new (false: a delivery before this one
 * booked it already).
 *
 * <p>
 * Threads: {@link #call} runs on a {@code jdbc-booking} thread and blocks there on the database (the driver's
 * socket reads ignore interrupts); {@link #cancel} is called by the engine worker waiting for it, when the drain
 * interrupted that worker. The lock orders the two around the commit: once cancelled, the booking never commits
 * (it rolls back); once committing, the commit is not cancelled (it is one round trip, and its row is then as
 * booked as if the drain had come a moment later).
 */
final class Booking implements Callable<Boolean> {

    static final String INSERT = "INSERT INTO bookings (transaction_id, account, amount, currency) "
            + "VALUES (?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING";

    private final DataSource dataSource;
    private final Transaction transaction;
    private final int timeoutSeconds;
    /** Guarded by {@code this}. */
    private PreparedStatement running;
    private boolean cancelled;
    private boolean committing;

    Booking(DataSource dataSource, Transaction transaction, int timeoutSeconds) {
        this.dataSource = dataSource;
        this.transaction = transaction;
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public Boolean call() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
                insert.setQueryTimeout(timeoutSeconds);
                insert.setString(1, transaction.id());
                insert.setString(2, transaction.account());
                insert.setBigDecimal(3, transaction.amount());
                insert.setString(4, transaction.currency());
                started(insert);
                int rows = insert.executeUpdate();
                commitUnlessCancelled();
                connection.commit();
                return rows == 1;
            } catch (SQLException | RuntimeException e) {
                rollback(connection, e);
                throw e;
            } finally {
                restore(connection, autoCommit);
            }
        }
    }

    private synchronized void started(PreparedStatement insert) {
        if (cancelled) {
            throw new CancellationException("cancelled before the booking statement ran");
        }
        running = insert;
    }

    private synchronized void commitUnlessCancelled() {
        if (cancelled) {
            throw new CancellationException("cancelled after the booking statement ran; rolled back");
        }
        committing = true;
    }

    /**
     * The drain gave up on this record: no commit from now on, and the statement running, if any, is cancelled
     * (the driver asks the server to cancel it, which ends the {@code executeUpdate} with SQLSTATE 57014).
     */
    void cancel() {
        PreparedStatement statement;
        synchronized (this) {
            cancelled = true;
            if (committing) {
                return;
            }
            statement = running;
        }
        if (statement != null) {
            try {
                statement.cancel();
            } catch (SQLException e) {
                // The statement ended meanwhile, or its connection broke: either way it commits nothing now.
            }
        }
    }

    /** The pooled connection goes back as it came; a broken one is discarded by the pool anyway. */
    private static void restore(Connection connection, boolean autoCommit) {
        try {
            connection.setAutoCommit(autoCommit);
        } catch (SQLException e) {
            // nothing to restore on a connection that broke: the pool validates and drops it
        }
    }

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // A broken connection rolls back on its own (the server ends its transaction when it goes away).
            failure.addSuppressed(e);
        }
    }
}
