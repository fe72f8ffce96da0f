package io.txprocessor.drain;

import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.BasicLogger;
import org.jboss.logging.Logger;
import org.jboss.logging.Logger.Level;
import org.jboss.logging.annotations.Cause;
import org.jboss.logging.annotations.LogMessage;
import org.jboss.logging.annotations.Message;
import org.jboss.logging.annotations.MessageLogger;
import org.jboss.logging.annotations.ValidIdRange;

import io.txprocessor.core.Deadline;

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

    @LogMessage(level = Level.ERROR)
    @Message(id = 1005, value = "the drain could not commit: %s")
    void drainCouldNotCommit(String error);

    @LogMessage(level = Level.INFO)
    @Message(id = 1006, value = "commit refused while the group rebalances (%s); retrying")
    void commitRefusedWhileRebalancing(String refusal);

    @LogMessage(level = Level.INFO)
    @Message(id = 1007, value = "assigned %s")
    void assigned(Collection<TopicPartition> partitions);

    @LogMessage(level = Level.WARN)
    @Message(id = 1008, value = "revocation drain interrupted; the next owner starts from the last commit")
    void revocationDrainInterrupted();

    @LogMessage(level = Level.WARN)
    @Message(id = 1009, value = "lost %s (the group moved on without this member); %d record(s) in flight handed off "
            + "at once, nothing committed or published, in %d ms")
    void partitionsLost(Set<TopicPartition> lost, int inFlight, long tookMillis);

    @LogMessage(level = Level.INFO)
    @Message(id = 1010, value = "SIGTERM: draining, %d record(s) in flight, deadline %s")
    void shutdownDrainStarted(int inFlight, Deadline deadline);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1011, value = "the shutdown drain was interrupted; exiting with status 1")
    void shutdownDrainInterrupted();

    @LogMessage(level = Level.ERROR)
    @Message(id = 1012, value = "the shutdown drain failed; exiting with status 1")
    void shutdownDrainFailed(@Cause Throwable failure);

    @LogMessage(level = Level.WARN)
    @Message(id = 1013, value = "could not pause the partitions: %s")
    void partitionsNotPaused(String error);

    @LogMessage(level = Level.INFO)
    @Message(id = 1014, value = "consumer closed (left the group) %d ms after the drain report, the close itself %d ms; "
            + "the hand-off used %d ms of its %d ms reserve (%s)")
    void consumerClosedAfterDrain(long sinceReportMillis, long closeMillis, long usedMillis, long reserveMillis,
            String setting);

    @LogMessage(level = Level.WARN)
    @Message(id = 1015, value = "could not close the consumer after the drain (%s); the connector closes it when "
            + "Quarkus stops")
    void consumerNotClosedAfterDrain(String error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1016, value = "the drain's hand-off ended %s past the deadline, its waits all bounded by it: the "
            + "CPU was short; the halt waited for its lines")
    void handOffWrittenAfterDeadline(Duration late);
}
