package io.txprocessor.logging;

import java.lang.invoke.MethodHandles;

import org.jboss.logging.BasicLogger;
import org.jboss.logging.Logger;
import org.jboss.logging.Logger.Level;
import org.jboss.logging.annotations.LogMessage;
import org.jboss.logging.annotations.Message;
import org.jboss.logging.annotations.MessageLogger;
import org.jboss.logging.annotations.ValidIdRange;

/**
 * The logging package's own log lines an operator reads, each with an id ({@code TXP1400}...) that docs/operate.md
 * ("Log messages") lists with what to do. Ids 1400-1499 are this package's (the compiler refuses others). DEBUG and
 * TRACE lines stay plain calls ({@code LOG.debugf}) on the same logger.
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 1400, max = 1499)
interface LoggingLog extends BasicLogger {

    /** The logger of {@code owner}'s category, so that log lines and category levels keep the class's name. */
    static LoggingLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), LoggingLog.class, owner.getName());
    }

    @LogMessage(level = Level.WARN)
    @Message(id = 1400, value = "Kafka unreachable at %s: %d failed connection attempt(s) in the last %s; last error: %s")
    void kafkaUnreachable(Object bootstrapServers, int attempts, String interval, String lastError);

    @LogMessage(level = Level.INFO)
    @Message(id = 1401, value = "Kafka at %s: no failed connection attempt in the last %s")
    void kafkaReachableAgain(Object bootstrapServers, String interval);
}
