package io.txprocessor.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.publish.StateEvent;
import io.txprocessor.transaction.InvalidTransactionException;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionContext;

/**
 * One fetched record on its way through the engine, and the
 * {@link TransactionContext} its handler sees.
 *
 * <p>
 * {@link #phase} and {@link #worker} are guarded by the engine's lock; {@link #cancelled} is a latch the
 * handler's thread reads and waits on (parkNanos underneath: a 20 ms wait takes 20 ms, where Object.wait rounds
 * up to whole milliseconds).
 */
final class RecordWork implements TransactionContext {

    /**
     * Where a record is. Only RUNNING and PUBLISHING are "in flight" for a drain.
     */
    enum Phase {
        /**
         * Fetched, waiting for its lane or a worker: not started, so a drain neither
         * runs nor commits it.
         */
        QUEUED,
        /** The handler is running (or, for a dead letter, about to be published). */
        RUNNING,
        /**
         * Outcome known; its state event or dead letter is on its way to the broker.
         */
        PUBLISHING,
        /** Event acknowledged: may be committed. */
        FINISHED,
        /** A drain gave up on it and published SUSPENDED: never committed here. */
        SUSPENDED,
        /** Its partition went away before it started. */
        DROPPED
    }

    final ConsumerRecord<byte[], byte[]> record;
    final TopicPartition partition;
    /** Null when the value is not a transaction. */
    final Transaction transaction;
    /** Why the value is not a transaction; null when it is. */
    final InvalidTransactionException invalid;
    /**
     * Records with the same lane run one at a time; null runs without waiting for
     * any other.
     */
    final String lane;

    Phase phase = Phase.QUEUED;
    /**
     * The thread running the handler, to interrupt on cancellation; null when none
     * is.
     */
    Thread worker;
    /**
     * The state event to publish once the handler returned; null for a dead letter.
     */
    StateEvent outcome;
    /**
     * True while the handler holds the lane; it may outlive the record's phase when
     * a handler ignores cancel.
     */
    boolean holdsLane;
    /** A dead letter too large to forward with its value: send it without. */
    boolean omitValue;
    long startedNanos;
    Instant startedAt;
    private final CountDownLatch cancelled = new CountDownLatch(1);

    RecordWork(ConsumerRecord<byte[], byte[]> record, Transaction transaction, InvalidTransactionException invalid,
            String lane) {
        this.record = record;
        this.partition = new TopicPartition(record.topic(), record.partition());
        this.transaction = transaction;
        this.invalid = invalid;
        this.lane = lane;
    }

    long offset() {
        return record.offset();
    }

    boolean inFlight() {
        return phase == Phase.RUNNING || phase == Phase.PUBLISHING;
    }

    /** Called with the engine's lock held: tells the handler to stop. */
    void cancel() {
        cancelled.countDown();
        if (worker != null) {
            worker.interrupt();
        }
    }

    @Override
    public String idempotencyKey() {
        return transaction.id();
    }

    @Override
    public boolean isCancelled() {
        return cancelled.getCount() == 0;
    }

    @Override
    public boolean awaitUnlessCancelled(Duration duration) throws InterruptedException {
        return !cancelled.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        return partition + "@" + offset();
    }
}
