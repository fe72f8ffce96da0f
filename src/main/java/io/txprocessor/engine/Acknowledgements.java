package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.metrics.ProcessorMetrics.Outcome;
import io.txprocessor.publish.StateEvent.State;

/**
 * The bookkeeping of acknowledged outcomes, in bulk. The producer's I/O thread acknowledges a whole batch of records
 * in one burst of callbacks; it only queues them here ({@link #add}), and {@code tx-acknowledgements} books
 * everything queued so far under one acquisition of the engine's lock, as the delivery mode says ({@link Booking}).
 */
final class Acknowledgements {

    /** How one acknowledged outcome is booked, with the lock held. */
    @FunctionalInterface
    interface Booking {
        /**
         * Books it: counts what finished into {@code finished}; returns true when its outcome must be sent again
         * (exactly once: its transaction aborted since it was sent).
         */
        boolean book(RecordWork work, Map<Outcome, Integer> finished);
    }

    private final CoreLock lock;
    private final ProcessorMetrics metrics;
    private final Booking booking;
    private final Consumer<RecordWork> sendAgain;
    /** Acknowledged outcomes whose bookkeeping is still to do; any thread adds, {@code tx-acknowledgements} takes. */
    private final Queue<RecordWork> queued = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ExecutorService thread = Executors
            .newSingleThreadExecutor(runnable -> ProcessingEngine.daemon(runnable, "tx-acknowledgements"));
    /** Held by one round of bookkeeping at a time, so that a commit can wait for the round under way. */
    private final Object round = new Object();

    Acknowledgements(CoreLock lock, ProcessorMetrics metrics, Booking booking, Consumer<RecordWork> sendAgain) {
        this.lock = lock;
        this.metrics = metrics;
        this.booking = booking;
        this.sendAgain = sendAgain;
    }

    /** Any thread: the broker has the record's outcome (or there is none to send). */
    void add(RecordWork work) {
        queued.add(work);
        if (scheduled.compareAndSet(false, true)) {
            try {
                thread.execute(this::bookAll);
            } catch (RejectedExecutionException e) {
                bookAll(); // shutting down: do it here
            }
        }
    }

    /** Books every acknowledgement queued so far, on the caller's thread, after any round already under way. */
    void bookAll() {
        synchronized (round) {
            bookQueued();
        }
    }

    private void bookQueued() {
        scheduled.set(false); // from now on a new acknowledgement schedules another round
        List<RecordWork> batch = new ArrayList<>();
        for (RecordWork work = queued.poll(); work != null; work = queued.poll()) {
            batch.add(work);
        }
        if (batch.isEmpty()) {
            return;
        }
        Map<Outcome, Integer> finished = new EnumMap<>(Outcome.class);
        List<RecordWork> again = lock.book(core -> {
            List<RecordWork> toSend = new ArrayList<>();
            for (RecordWork work : batch) {
                if (booking.book(work, finished)) {
                    toSend.add(work);
                }
            }
            return toSend;
        });
        again.forEach(sendAgain);
        finished.forEach(metrics::processed);
    }

    /** What a finished record counts as in {@code transactions_processed_total}. */
    static Outcome outcomeOf(RecordWork work) {
        return work.outcome == null
                ? Outcome.DEAD_LETTERED
                : work.outcome.state() == State.COMPLETED ? Outcome.COMPLETED : Outcome.FAILED;
    }

    void close() {
        thread.shutdownNow();
    }
}
