package io.txprocessor.engine;

import java.time.Duration;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;

import io.txprocessor.core.Deadline;

/**
 * Where a drain's commit runs: straight on the consumer, inside a rebalance callback on the polling thread
 * ({@link #direct}), or as a task of the polling thread, for the shutdown drain, which runs on its own thread.
 */
public interface OnConsumer {

    /**
     * Runs {@code task} with the consumer, by the deadline.
     *
     * @throws NotRun when the task did not start by the deadline: then it never will
     * @throws RuntimeException what the task threw, or a time-out when it started and did not end by the deadline
     */
    <T> T run(Function<Consumer<?, ?>, T> task, Deadline deadline) throws NotRun, InterruptedException;

    /** How long one blocking call of the task may take: all that is left, unless attempts are repeated. */
    default Duration attemptTime(Deadline deadline) {
        return deadline.remaining();
    }

    /** On the consumer at hand, on the caller's thread (the polling thread, inside a rebalance callback). */
    static OnConsumer direct(Consumer<?, ?> consumer) {
        return new OnConsumer() {
            @Override
            public <T> T run(Function<Consumer<?, ?>, T> task, Deadline deadline) {
                return task.apply(consumer);
            }
        };
    }

    /** The task did not start by the deadline, and never will. */
    final class NotRun extends Exception {
        public NotRun(Throwable cause) {
            super("the polling thread did not get to it before the deadline (" + cause + ")", cause);
        }
    }
}
