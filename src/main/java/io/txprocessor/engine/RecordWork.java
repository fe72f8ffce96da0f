package io.txprocessor.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.TrackedRecord;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.transaction.InvalidTransactionException;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionContext;

/**
 * One fetched record on its way through the engine: what the {@link io.txprocessor.core.EngineCore} tracks, plus
 * the record itself, what its handler produced, and the {@link TransactionContext} the handler sees.
 *
 * <p>
 * The fields below are written with the {@link CoreLock} held. Two threads read some of them after releasing it: the
 * worker running the handler reads {@link #transaction}, and the thread that sends the outcome (the worker once the
 * handler returned, {@code tx-publish-retry} after checking under the lock that the record is still PUBLISHING)
 * reads the outcome and dead-letter fields. Both took the lock after the last write, and nothing writes those fields
 * while the record is sent: a failed send rewrites them under the lock before the next send is scheduled.
 * {@link #cancelled} is a latch the handler's thread reads and waits on (parkNanos underneath: a 20 ms wait takes
 * 20 ms, where Object.wait rounds up to whole milliseconds).
 */
final class RecordWork extends TrackedRecord implements TransactionContext {

    final ConsumerRecord<byte[], byte[]> record;
    /** Set when the record starts: null before, and when the value is not a transaction. */
    Transaction transaction;

    /** The thread running the handler, to interrupt on cancellation; null when none is. */
    Thread worker;
    /** The state event to publish once the handler returned; null while running, and for a dead letter. */
    StateEvent outcome;
    /** Why this record goes to the dead-letter topic (bad input, or an outcome the broker can never take). */
    String deadLetterReason;
    String deadLetterCause;
    /** A dead letter too large to forward with its value: send it without. */
    boolean omitValue;
    /** Not even the bare dead letter can be published: it finishes without an outcome, so the partition moves on. */
    boolean undeliverable;
    /** Exactly once: the producer transaction its outcome was last sent in ({@code EngineCore.producerTransaction()}). */
    long sentIn;
    long startedNanos;
    Instant startedAt;
    private final CountDownLatch cancelled = new CountDownLatch(1);

    /** @param fetchedIn the assignment epoch the record was fetched in ({@link FetchStamp}) */
    RecordWork(ConsumerRecord<byte[], byte[]> record, String lane, long fetchedIn) {
        // Parsing happens on a worker: to the core, every record runs (a dead letter's "handler" is its parse).
        super(new TopicPartition(record.topic(), record.partition()), record.offset(), lane, sizeOf(record),
                fetchedIn);
        this.record = record;
    }

    /** With the lock held, as the record starts: what its value turned out to be. */
    void parsed(Transaction transaction, InvalidTransactionException invalid) {
        this.transaction = transaction;
        if (invalid != null) {
            this.deadLetterReason = invalid.reason();
            this.deadLetterCause = invalid.getMessage();
        }
    }

    /** Bytes of key and value: what the windows count. */
    static long sizeOf(ConsumerRecord<byte[], byte[]> record) {
        return (record.key() == null ? 0 : record.key().length) + (record.value() == null ? 0 : record.value().length);
    }

    /** Called with the lock held: tells the handler to stop. */
    void cancel() {
        cancelled.countDown();
        if (worker != null) {
            worker.interrupt();
        }
    }

    /** With the lock held, once the record started as a transaction: its state event, stamped now. */
    StateEvent event(StateEvent.State state, String reason, String instance) {
        return new StateEvent(transaction.id(), transaction.account(), state, reason, record.topic(),
                record.partition(), record.offset(), instance, Instant.now(), startedAt);
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
}
