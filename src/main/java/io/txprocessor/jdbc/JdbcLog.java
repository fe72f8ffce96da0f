package io.txprocessor.jdbc;

import java.lang.invoke.MethodHandles;
import java.time.Duration;

import org.jboss.logging.BasicLogger;
import org.jboss.logging.Logger;
import org.jboss.logging.Logger.Level;
import org.jboss.logging.annotations.LogMessage;
import org.jboss.logging.annotations.Message;
import org.jboss.logging.annotations.MessageLogger;
import org.jboss.logging.annotations.ValidIdRange;

/**
 * The jdbc handler's log lines an operator reads, each with an id that docs/operate.md ("Log messages") lists with
 * what to do. Ids 2000-2099 are this package's.
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 2000, max = 2099)
interface JdbcLog extends BasicLogger {

    /** The logger of {@code owner}'s category. */
    static JdbcLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), JdbcLog.class, owner.getName());
    }

    @LogMessage(level = Level.WARN)
    @Message(id = 2000, value = "the database did not take the booking of %s (SQLSTATE %s: %s); trying again, at "
            + "most %s apart, until it does or a drain hands the record off")
    void bookingRetried(String transactionId, String sqlState, String message, Duration maxBackoff);

    @LogMessage(level = Level.WARN)
    @Message(id = 2001, value = "the cancelled booking of %s did not end within %s; the database rolls it back when "
            + "its connection closes")
    void cancelledBookingStillRunning(String transactionId, Duration waited);
}
