package io.txprocessor.engine;

import java.lang.invoke.MethodHandles;
import java.time.Duration;
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

/**
 * The engine's log lines an operator reads, each with an id ({@code TXP1100}...) that docs/operate.md ("Log
 * messages") lists with what to do. Ids 1100-1199 are this package's (the compiler refuses others). DEBUG and TRACE
 * lines stay plain calls ({@code LOG.debugf}) on the same logger.
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 1100, max = 1199)
interface EngineLog extends BasicLogger {

    /** The logger of {@code owner}'s category, so that log lines and category levels keep the class's name. */
    static EngineLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), EngineLog.class, owner.getName());
    }

    @LogMessage(level = Level.INFO)
    @Message(id = 1100, value = "exactly-once delivery: transactional state producer ready")
    void exactlyOnceProducerReady();

    @LogMessage(level = Level.INFO)
    @Message(id = 1101, value = "transaction aborted, its outcomes go into the next: %s")
    void periodicTransactionAborted(String error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1102, value = "could not publish the outcome of %s (%s); its transaction aborts and it is sent "
            + "again")
    void outcomeNotPublishedInTransaction(RecordWork work, String error);

    @LogMessage(level = Level.INFO)
    @Message(id = 1103, value = "transaction aborted: %s; %d outcome(s) of partitions still ours go into the next")
    void transactionAborted(String reason, int again);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1104, value = "the state producer cannot go on (%s): another instance with the same "
            + "transactional.id took over, the broker refuses it, or a commit's outcome stayed unknown; exiting with "
            + "status 1")
    void stateProducerCannotGoOn(String why);

    @LogMessage(level = Level.WARN)
    @Message(id = 1105, value = "transaction not committed, aborting it: %s")
    void transactionNotCommitted(String error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1106, value = "the transaction's commit timed out (%s); committing again")
    void transactionCommitTimedOut(String error);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1107, value = "handler crashed on %s; the record is left for the next owner")
    void handlerCrashed(@Cause Throwable failure, RecordWork work);

    @LogMessage(level = Level.WARN)
    @Message(id = 1108, value = "could not publish the outcome of %s, retrying in %s: %s")
    void outcomeNotPublishedRetrying(RecordWork work, Duration retryIn, Throwable error);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1109, value = "no outcome of %s can be published (%s); it stays in its topic at that offset, and "
            + "is not retried")
    void noOutcomePublishable(RecordWork work, Throwable error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1110, value = "the outcome of %s can never be published (%s); dead-lettering the input instead")
    void outcomeNeverPublishable(RecordWork work, Throwable error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1111, value = "commit failed, retried next time: %s")
    void commitFailed(String error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1112, value = "could not look up where %s start (%s); paused, retried at the next commit")
    void partitionStartsNotLookedUp(Set<TopicPartition> pending, String error);

    @LogMessage(level = Level.WARN)
    @Message(id = 1113, value = "%s assigned again without being revoked first; handing its records off")
    void assignedAgainWithoutRevocation(TopicPartition partition);

    @LogMessage(level = Level.INFO)
    @Message(id = 1114, value = "exactly-once delivery: initializing transactions timed out (%s); retrying, %s left "
            + "of transactions.publish-timeout")
    void initTransactionsRetried(String timeout, Duration left);
}
