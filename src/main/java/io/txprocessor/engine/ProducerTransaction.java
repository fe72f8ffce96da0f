package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

import io.txprocessor.core.Deadline;

/**
 * Exactly once: the state producer's open transaction, as a resource that sends share and a commit or an abort takes
 * alone, so that no send slips between computing a transaction's offsets and committing it. Sends hold the shared
 * side only while {@code send()} runs. The order of the steps of a commit is {@link ExactlyOnce}'s; this class only
 * says which sends belong to which transaction.
 *
 * <p>
 * Thread-safe: any thread sends; one closer at a time.
 */
final class ProducerTransaction {

    private static final EngineLog LOG = EngineLog.of(ProducerTransaction.class);

    private final Producer<byte[], byte[]> producer;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Sends into the open transaction (state events, dead letters, SUSPENDED events). */
    private final AtomicInteger sends = new AtomicInteger();
    /**
     * One future per outcome sent into the open transaction, completed once its acknowledgement (or failure) is
     * queued for bookkeeping; the closer waits for them ({@link Closed#settle}).
     */
    private final Queue<CompletableFuture<?>> awaited = new ConcurrentLinkedQueue<>();
    /** Set while a commit or an abort waits for, or holds, the transaction alone. */
    private volatile boolean closing;

    /** With a producer whose transactions were initialized and the first begun ({@link DeliveryChoice}). */
    ProducerTransaction(Producer<byte[], byte[]> producer) {
        this.producer = producer;
    }

    /** Runs {@code send} inside the open transaction, waiting for a commit underway; the send counts as one of it. */
    <T> T send(Supplier<T> send) {
        lock.readLock().lock();
        try {
            sends.incrementAndGet();
            return send.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs {@code sends} inside the open transaction, only if no commit or abort is underway or waiting: returns
     * false at once instead of waiting for it (a worker queues its outcome rather than idling through a commit).
     */
    boolean tryInside(Runnable sends) {
        if (closing || !lock.readLock().tryLock()) {
            return false;
        }
        try {
            sends.run();
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Inside the transaction: an outcome sent into it, whose future its closer must wait for. */
    void awaitOnClose(CompletableFuture<?> sent) {
        sends.incrementAndGet();
        awaited.add(sent);
    }

    /** Stops sends from entering the open transaction until {@link Closed#close()}, however long that takes. */
    Closed close() {
        closing = true; // from now on tryInside gives way, so that this cannot be starved
        lock.writeLock().lock();
        return new Closed();
    }

    /**
     * As {@link #close()}, waiting at most {@code timeoutNanos} for a commit or abort underway (the timer's, stuck on
     * a slow broker) to end: null when it did not. A drain passes what its deadline leaves.
     */
    Closed close(long timeoutNanos) throws InterruptedException {
        closing = true;
        if (!lock.writeLock().tryLock(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
            closing = lock.isWriteLocked(); // the other closer still holds it
            return null;
        }
        return new Closed();
    }

    /**
     * What a commit came to.
     *
     * @param committed true when it committed
     * @param fatal true when the producer cannot go on (fenced, refused, or the commit's outcome unknown)
     * @param error why it did not commit; null when it did
     */
    record Ending(boolean committed, boolean fatal, String error) {
    }

    /** A commit that timed out until the deadline: whether the broker committed it is not known. */
    private static final class CommitOutcomeUnknown extends Exception {
        CommitOutcomeUnknown(org.apache.kafka.common.errors.TimeoutException cause) {
            super("the commit timed out until the deadline, its outcome unknown: " + cause, cause);
        }
    }

    /** The open transaction, closed to new sends; commit it or abort it, then {@link #close()} it. */
    final class Closed implements AutoCloseable {

        private Closed() {
        }

        /** True when something was sent into it: it must commit (or abort) even without offsets. */
        boolean hasSends() {
            return sends.get() > 0;
        }

        /**
         * Waits until every outcome sent into it came back, acknowledged or failed, until the deadline; true when
         * every one did.
         */
        boolean settle(Deadline deadline) throws InterruptedException {
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (CompletableFuture<?> send = awaited.poll(); send != null; send = awaited.poll()) {
                sent.add(send);
            }
            for (CompletableFuture<?> send : sent) {
                try {
                    send.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    return false;
                } catch (ExecutionException e) {
                    // the futures awaited are handled, and never complete exceptionally
                }
            }
            return true;
        }

        /**
         * Sends the input offsets, fenced by the consumer group's generation, and commits; begins the next. The broker
         * refuses the offsets (and the caller aborts) when the group has moved on.
         */
        Ending commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group,
                Deadline deadline) {
            try {
                if (!offsets.isEmpty()) {
                    producer.sendOffsetsToTransaction(offsets, group);
                }
                commitRetryingTimeouts(deadline);
                sends.set(0);
                producer.beginTransaction();
                return new Ending(true, false, null);
            } catch (CommitOutcomeUnknown e) {
                // Its outcomes may or may not be visible: nothing of it is finished, nothing is sent again, and the
                // producer cannot be used for anything else. The next owner processes the records again.
                return new Ending(false, true, e.getMessage());
            } catch (ProducerFencedException | OutOfOrderSequenceException | UnsupportedVersionException
                    | AuthorizationException e) {
                return new Ending(false, true, e.toString());
            } catch (KafkaException | IllegalStateException e) {
                // Refused offsets (the generation moved on: a rebalance, a loss, a zombie), a failed send.
                LOG.transactionNotCommitted(e.toString());
                return new Ending(false, false, e.toString());
            }
        }

        /**
         * Commits again after a time-out: Kafka allows nothing else then (an abort is refused, since the commit may
         * be completing), and a retry of a commit that did complete succeeds. Until the deadline.
         */
        private void commitRetryingTimeouts(Deadline deadline) throws CommitOutcomeUnknown {
            while (true) {
                try {
                    producer.commitTransaction();
                    return;
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    if (deadline.passed()) {
                        throw new CommitOutcomeUnknown(e);
                    }
                    LOG.transactionCommitTimedOut(e.getMessage());
                }
            }
        }

        /** Aborts (nothing of it becomes visible) and begins the next. */
        void abort() {
            producer.abortTransaction();
            sends.set(0);
            producer.beginTransaction();
        }

        @Override
        public void close() {
            closing = false;
            lock.writeLock().unlock();
        }
    }
}
