package io.txprocessor.drain;

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
 * The drain's log lines an operator reads, each with an id ({@code TXP1000}...) that docs/operate.md ("Log messages")
 * lists with what to do. Ids 1000-1099 are this package's (the compiler refuses others). DEBUG and TRACE lines stay
 * plain calls ({@code LOG.debugf}) on the same logger. The JSON drain report (category {@code drain-report}) is not
 * one of these: collectors parse it bare.
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 1000, max = 1099)
interface DrainLog extends BasicLogger {

    /** The logger of {@code owner}'s category, so that log lines and category levels keep the class's name. */
    static DrainLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), DrainLog.class, owner.getName());
    }

    @LogMessage(level = Level.WARN)
    @Message(id = 1000, value = "%s (%s) is not shorter than the drain's budget (%s): a drain right after another "
            + "instance was killed may not be able to commit, and its records would be processed again")
    void sessionTimeoutNotShorterThanBudget(String source, Duration timeout, Duration budget);

    @LogMessage(level = Level.WARN)
    @Message(id = 1001, value = "cannot check the session timeout against the drain's budget: the broker did not "
            + "report %s for group %s")
    void groupSessionTimeoutNotReported(String setting, String groupId);

    @LogMessage(level = Level.WARN)
    @Message(id = 1002, value = "cannot check the session timeout against the drain's budget: reading %s of group %s "
            + "failed (%s); under group.protocol=consumer it is the broker's group.consumer.session.timeout.ms "
            + "unless the group sets its own")
    void groupSessionTimeoutUnreadable(String setting, String groupId, Object failure);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1003, value = "drain not finished %s before SIGKILL; halting with status 1")
    void drainNotFinishedBeforeSigkill(Duration exitMargin);

    @LogMessage(level = Level.WARN)
    @Message(id = 1004, value = "the consumer did not close %s before SIGKILL; halting with the drain's status %d")
    void consumerNotClosedBeforeSigkill(Duration exitMargin, int exitStatus);
}
