package io.txprocessor.engine;

import java.util.Set;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * What a failed send of an outcome means, in both delivery modes. The rule: the broker refusing the record itself
 * (too large, invalid) or the event not serializing cannot succeed on retry; every other error (broker down, not
 * enough replicas, topic missing, not authorized) may, once an operator or the cluster fixed it, so the record stays
 * unfinished and is retried, its partition held, visible in {@code transactions_publish_failures_total{kind="retriable"}}.
 */
final class PublishFailures {

    /** Dead-letter reason of a transaction whose state event the broker can never take. */
    static final String UNPUBLISHABLE = "unpublishable-outcome";

    private static final Set<Class<? extends Throwable>> CANNOT_SUCCEED = Set.of(RecordTooLargeException.class,
            RecordBatchTooLargeException.class, InvalidRecordException.class, SerializationException.class,
            JsonProcessingException.class);

    private PublishFailures() {
    }

    /** True when sending the same record again can never succeed. */
    static boolean cannotSucceed(Throwable error) {
        return CANNOT_SUCCEED.stream().anyMatch(kind -> causedBy(error, kind));
    }

    static boolean causedBy(Throwable error, Class<? extends Throwable> kind) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (kind.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /**
     * With the lock held, after a failed send: an outcome the broker can never take is rewritten into what it can
     * (the state event into a dead letter of the input, a dead letter into one without its value). Returns true when
     * nothing of it can be published at all.
     */
    static boolean rewriteUnpublishable(RecordWork work, Throwable error, boolean cannotSucceed) {
        if (cannotSucceed && work.outcome != null) {
            // The broker will never take this state event: the input goes to the dead-letter topic instead,
            // with the error, and counts as finished once that is acknowledged.
            work.deadLetterReason = UNPUBLISHABLE;
            work.deadLetterCause = work.outcome.state() + " event not publishable: " + error;
            work.outcome = null;
        } else if (cannotSucceed && !work.omitValue) {
            work.omitValue = true; // the value plus our headers is more than the broker accepts
        } else if (cannotSucceed) {
            work.undeliverable = true; // not even the bare dead letter: the partition must not stall on it
            return true;
        }
        return false;
    }
}
