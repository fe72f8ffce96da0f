package io.txprocessor.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.txprocessor.publish.StatePublisher;

/**
 * Sends a record's outcome, its state event or its dead letter, and sends it again from {@code tx-publish-retry}:
 * never from the producer's callback, where {@code send} can block (up to {@code max.block.ms}, while a topic's
 * metadata is fetched or the buffer is full) on the very thread that would unblock it, and every acknowledgement and
 * any drain would wait behind it.
 */
final class OutcomeSends {

    private static final EngineLog LOG = EngineLog.of(OutcomeSends.class);
    private static final Duration PUBLISH_RETRY = Duration.ofSeconds(1);

    private final CoreLock lock;
    private final StatePublisher publisher;
    private final ScheduledExecutorService retries = Executors
            .newSingleThreadScheduledExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-publish-retry"));

    OutcomeSends(CoreLock lock, StatePublisher publisher) {
        this.lock = lock;
        this.publisher = publisher;
    }

    /** Sends the outcome the record carries now; completes when the broker has it. Never throws. */
    CompletableFuture<Void> send(RecordWork work) {
        try {
            return work.outcome != null
                    ? publisher.publish(work.outcome)
                    : publisher.deadLetter(work.record, work.deadLetterReason, work.deadLetterCause, work.omitValue);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Publishes again with {@code publish} from {@code tx-publish-retry}, unless a drain handed the record off. */
    void againOffTheCallback(RecordWork work, Consumer<RecordWork> publish) {
        try {
            retries.execute(() -> againIfStillPublishing(work, publish));
        } catch (RejectedExecutionException e) {
            // Stopping: the record stays unfinished, and its partition's next owner processes it.
        }
    }

    /**
     * After an error that may go away: the record stays unfinished, so nothing past it is committed; retried until
     * the broker takes it or a drain hands it off.
     */
    void againLater(RecordWork work, Throwable error, Consumer<RecordWork> publish) {
        LOG.outcomeNotPublishedRetrying(work, PUBLISH_RETRY, error);
        try {
            retries.schedule(() -> againIfStillPublishing(work, publish), PUBLISH_RETRY.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // Stopping, as above.
        }
    }

    private void againIfStillPublishing(RecordWork work, Consumer<RecordWork> publish) {
        if (lock.call(core -> core.publishing(work))) {
            publish.accept(work);
        }
    }

    void close() {
        retries.shutdownNow();
    }
}
