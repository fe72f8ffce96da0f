package io.txprocessor.jdbc;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.InjectableInstance;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionContext;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Books each transaction into PostgreSQL ({@code transactions.handler=jdbc}): one row per transaction id in the
 * table {@code bookings} (created by the Flyway migrations in {@code db/migration}), through Quarkus' default
 * datasource (an Agroal pool). The id is the primary key and the insert says {@code ON CONFLICT DO NOTHING}, so a
 * second delivery has no second effect; {@code transactions_bookings_total{result="new"|"already-booked"}} counts
 * which it was.
 *
 * <ul>
 * <li>Each statement gets {@code jdbc.statement-timeout}; past it the driver cancels it and the attempt is tried
 * again.</li>
 * <li>Transient failures ({@link SqlFailure}: no connection, timeout, deadlock, server shutting down) are tried
 * again, {@code jdbc.retry-backoff} apart, doubling up to {@code jdbc.max-retry-backoff}, for as long as it takes:
 * a database outage stalls the bookings, it does not fail them. A permanent refusal is FAILED.</li>
 * <li>Cancellation (the drain's time is up): the engine interrupts the worker waiting here; the statement running is
 * cancelled ({@code Statement.cancel}), its database transaction rolled back, and the record is handed off
 * (SUSPENDED); its next owner books it.</li>
 * </ul>
 *
 * <p>
 * Threads: {@link #handle} runs on an engine worker, which submits each attempt ({@link Booking}) to a
 * {@code jdbc-booking} thread and waits for it. The driver blocks in socket reads that an interrupt does not end, so
 * the wait is what the interrupt ends, and the worker then cancels the statement from outside. The datasource and
 * these threads are closed when the application's beans are destroyed, after the drain (which runs while the
 * shutdown is delayed, {@code drain.ShutdownDrain}), so records finishing during a drain still commit.
 */
@ApplicationScoped
@Typed(JdbcTransactionHandler.class)
public class JdbcTransactionHandler implements TransactionHandler {

    private static final JdbcLog LOG = JdbcLog.of(JdbcTransactionHandler.class);
    /** How long a cancelled worker waits for its booking to roll back before handing the record off anyway. */
    static final Duration ROLLBACK_WAIT = Duration.ofSeconds(1);

    private final JdbcConfig config;
    private final AgroalDataSource dataSource;
    private final ExecutorService bookings;
    private final int timeoutSeconds;
    private final Counter booked;
    private final Counter alreadyBooked;

    /**
     * The datasource is looked up, not injected: an inactive one (every other handler) may not be an injection
     * point of any bean, and only this bean, created for {@code transactions.handler=jdbc}, asks for it.
     */
    public JdbcTransactionHandler(JdbcConfig config, TransactionsConfig transactions,
            InjectableInstance<AgroalDataSource> dataSource, MeterRegistry registry) {
        this.config = config;
        this.dataSource = dataSource.get();
        this.timeoutSeconds = (int) Math.max(1, (config.statementTimeout().toMillis() + 999) / 1000);
        this.bookings = Executors.newFixedThreadPool(transactions.work().maxConcurrency(), threads());
        this.booked = bookings(registry, "new");
        this.alreadyBooked = bookings(registry, "already-booked");
    }

    private static Counter bookings(MeterRegistry registry, String result) {
        return Counter.builder("transactions.bookings")
                .description("Bookings the jdbc handler made, by whether the row was new or booked before")
                .tag("result", result).register(registry);
    }

    @Override
    public void handle(Transaction transaction, TransactionContext context) throws Exception {
        for (int attempt = 1;; attempt++) {
            if (context.isCancelled()) {
                throw new CancellationException("cancelled before attempt " + attempt + " of the booking");
            }
            SQLException failure;
            try {
                (book(transaction) ? booked : alreadyBooked).increment();
                return;
            } catch (SQLException e) {
                failure = e;
            }
            if (SqlFailure.of(failure) == SqlFailure.PERMANENT) {
                throw new BookingRefusedException(failure);
            }
            if (attempt == 1) {
                LOG.bookingRetried(transaction.id(), failure.getSQLState(), failure.getMessage(),
                        config.maxRetryBackoff());
            }
            Duration wait = SqlFailure.backoff(config.retryBackoff(), config.maxRetryBackoff(), attempt + 1);
            if (!context.awaitUnlessCancelled(wait)) {
                throw new CancellationException("cancelled while backing off before another booking attempt");
            }
        }
    }

    /**
     * One attempt on a booking thread: whether the row is new.
     *
     * @throws InterruptedException
     *             when the drain cancels the record; the statement has been cancelled and rolled back by then (or
     *             the wait for that, {@link #ROLLBACK_WAIT}, ran out)
     */
    private boolean book(Transaction transaction) throws SQLException, InterruptedException {
        Booking booking = new Booking(dataSource, transaction, timeoutSeconds);
        Future<Boolean> attempt = bookings.submit(booking);
        try {
            // No timeout of its own: the statement timeout and the pool's acquisition timeout bound the attempt.
            return attempt.get();
        } catch (InterruptedException e) {
            booking.cancel();
            awaitRollback(attempt, transaction);
            throw e; // the interrupt is the engine's: carried up, unswallowed
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("booking " + transaction.id() + " failed", e.getCause());
        }
    }

    /**
     * After a cancel: waits a moment for the booking to end (its rollback), so that the record is handed off with
     * nothing of it left running in the database. The engine has published SUSPENDED already; this only keeps
     * the next owner from meeting the row lock of a statement still running here.
     */
    private static void awaitRollback(Future<Boolean> attempt, Transaction transaction) {
        try {
            attempt.get(ROLLBACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the caller throws the first InterruptedException all the same
        } catch (TimeoutException e) {
            LOG.cancelledBookingStillRunning(transaction.id(), ROLLBACK_WAIT);
        } catch (ExecutionException | CancellationException e) {
            // ended by the cancel, as intended
        }
    }

    private static ThreadFactory threads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "jdbc-booking-" + count.incrementAndGet());
            // As the engine's workers: a statement that ignores its cancel cannot hold the exit.
            thread.setDaemon(true);
            return thread;
        };
    }

    @PreDestroy
    void close() {
        bookings.shutdownNow();
    }
}
