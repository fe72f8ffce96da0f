package io.txprocessor.drain;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.errors.RebalanceInProgressException;

import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.txprocessor.core.Deadline;
import io.txprocessor.engine.OnConsumer;

/**
 * The shutdown drain's commit, as a task of the consumer's polling thread (the drain runs on Quarkus' shutdown
 * thread, and the consumer is the polling thread's alone).
 *
 * <ul>
 * <li>A task the polling thread has not started by the deadline (stuck on a hung broker) never runs:
 * {@link NotRun} says so, and "not committed" stays true.</li>
 * <li>A commit is refused while the group rebalances (another instance joining or dying), and the rebalance only
 * ends when the consumer polls: so a task refused that way runs again as a task of its own, the polling thread
 * polling (partitions paused) in between, until the deadline.</li>
 * </ul>
 */
final class OnPollingThread implements OnConsumer {

    private static final DrainLog LOG = DrainLog.of(OnPollingThread.class);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration RETRY_BACKOFF = Duration.ofMillis(200);
    private static final int WAITING = 0;
    private static final int STARTED = 1;
    private static final int GIVEN_UP = 2;

    private final KafkaConsumer<byte[], byte[]> consumer;

    OnPollingThread(KafkaConsumer<byte[], byte[]> consumer) {
        this.consumer = consumer;
    }

    @Override
    public <T> T run(Function<Consumer<?, ?>, T> task, Deadline deadline) throws NotRun, InterruptedException {
        while (true) {
            try {
                return attempt(task, deadline);
            } catch (RebalanceInProgressException | CommitFailedException e) {
                if (deadline.remaining().compareTo(RETRY_BACKOFF) <= 0) {
                    throw e;
                }
                LOG.commitRefusedWhileRebalancing(e.getClass().getSimpleName());
                Thread.sleep(RETRY_BACKOFF.toMillis());
            }
        }
    }

    private <T> T attempt(Function<Consumer<?, ?>, T> task, Deadline deadline) throws NotRun {
        AtomicInteger turn = new AtomicInteger(WAITING);
        try {
            return consumer.runOnPollingThread((Consumer<byte[], byte[]> c) -> {
                if (!turn.compareAndSet(WAITING, STARTED)) {
                    throw new IllegalStateException("given up before it started");
                }
                return task.apply(c);
            }).await().atMost(deadline.remaining().plus(Duration.ofMillis(100)));
        } catch (RuntimeException e) {
            if (turn.compareAndSet(WAITING, GIVEN_UP)) {
                throw new NotRun(e);
            }
            throw e;
        }
    }

    /** Each attempt is bounded, so that a refused one leaves time for the next. */
    @Override
    public Duration attemptTime(Deadline deadline) {
        Duration left = deadline.remaining();
        return left.compareTo(ATTEMPT_TIMEOUT) <= 0 ? left : ATTEMPT_TIMEOUT;
    }
}
