package io.txprocessor.engine;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The worker pool, fed in runs: the records a poll (or a booking) makes startable are handed over as one run, and
 * as many idle workers are woken as the run has records, never more than are idle. Each woken worker takes records
 * one at a time from every open run until none is left, then goes back to the pool. So a record never waits while a
 * worker is idle (a slow or hung handler holds only its own record: the others of its run are taken by the other
 * workers), and a poll of 500 records at zero work costs a few dozen wake-ups rather than 500: the hand-off per
 * record (a queue offer and an unpark on the event loop, a park on the worker) was the largest cost the workers and
 * the event loop had that was not their work.
 *
 * <p>
 * A record's lane successor, which its handler's return makes startable, runs next on the same worker: it could not
 * have run anywhere sooner.
 *
 * <p>
 * Thread-safe: any thread dispatches.
 */
final class Workers {

    /** Records handed over together; each is claimed by exactly one worker. */
    private static final class Run {
        private final List<RecordWork> records;
        private final AtomicInteger next = new AtomicInteger();

        Run(List<RecordWork> records) {
            this.records = records;
        }

        /** The next unclaimed record, claimed now; null once every record is. */
        RecordWork claim() {
            int at = next.getAndIncrement();
            return at < records.size() ? records.get(at) : null;
        }
    }

    private final int size;
    private final ExecutorService pool;
    /** Runs with records not yet claimed, oldest first. */
    private final Queue<Run> open = new ConcurrentLinkedQueue<>();
    /** Workers taking records from the open runs (woken and not yet back in the pool): never more than {@link #size}. */
    private final AtomicInteger taking = new AtomicInteger();
    /** Runs one record: its handler, and the publishing of its outcome. Returns its lane successor, or null. */
    private final UnaryOperator<RecordWork> runOne;

    Workers(int size, UnaryOperator<RecordWork> runOne) {
        this.size = size;
        this.runOne = runOne;
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                runnable -> ProcessingEngine.daemon(runnable, "tx-worker-" + threads.incrementAndGet()));
    }

    /** Hands the records to the workers, waking as many idle ones as there are records. */
    void dispatch(List<RecordWork> records) {
        if (records.isEmpty()) {
            return;
        }
        open.add(new Run(List.copyOf(records)));
        // Read after the run is open: a worker that stopped taking before it was, and so will not see it, has
        // already left this count, so the run gets a worker of its own.
        for (int woken = 0; woken < records.size() && enter(); woken++) {
            try {
                pool.execute(this::take);
            } catch (RejectedExecutionException e) {
                taking.decrementAndGet(); // shutting down: the records stay unstarted for the next owner
                return;
            }
        }
    }

    /** One more worker taking, if fewer than the pool's size are. */
    private boolean enter() {
        for (int now = taking.get(); now < size; now = taking.get()) {
            if (taking.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    /** A woken worker: takes records until no open run has any, then leaves (and looks once more). */
    private void take() {
        do {
            for (RecordWork work = claim(); work != null; work = claim()) {
                for (RecordWork next = work; next != null;) {
                    next = runOne.apply(next);
                }
            }
            taking.decrementAndGet();
            // A run opened after the last claim found nothing, but before this worker left the count, may have
            // woken no one: look again.
        } while (!open.isEmpty() && enter());
    }

    private RecordWork claim() {
        for (Run run = open.peek(); run != null; run = open.peek()) {
            RecordWork work = run.claim();
            if (work != null) {
                return work;
            }
            open.remove(run);
        }
        return null;
    }

    void shutdownNow() {
        pool.shutdownNow();
    }
}
