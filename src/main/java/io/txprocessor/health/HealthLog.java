package io.txprocessor.health;

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
 * The health package's log lines an operator reads, each with an id ({@code TXP1300}...) that docs/operate.md
 * ("Log messages") lists with what to do. Ids 1300-1399 are this package's (the compiler refuses others). DEBUG and
 * TRACE lines stay plain calls ({@code LOG.debugf}) on the same logger.
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 1300, max = 1399)
interface HealthLog extends BasicLogger {

    /** The logger of {@code owner}'s category, so that log lines and category levels keep the class's name. */
    static HealthLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), HealthLog.class, owner.getName());
    }

    @LogMessage(level = Level.WARN)
    @Message(id = 1300, value = "Kafka not reachable at start (%s); the clients keep trying")
    void kafkaNotReachableAtStart(String cause);

    @LogMessage(level = Level.WARN)
    @Message(id = 1301, value = "Kafka did not answer within %s at start; the clients keep trying")
    void kafkaDidNotAnswerAtStart(Duration timeout);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1302, value = "%s; stopping")
    void kafkaRefusedCredentials(String message);
}
