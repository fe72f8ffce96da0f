package io.txprocessor.engine;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

import jakarta.inject.Singleton;

import io.txprocessor.core.EngineCore;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The one lock of the engine and what it guards: the {@link EngineCore}, the connector's wake-up, and the fields
 * of every {@link RecordWork}. Threads that take it: the connector's event loop (intake), the workers (start,
 * handler returned), the producer's I/O thread (a failed send), {@code tx-acknowledgements} (booking what the broker
 * acknowledged), {@code tx-publish-retry} (a send again), {@code tx-commit-timer} (the periodic commit, exactly
 * once), the polling thread (assignment, commits, revocation drains and losses) and the shutdown thread (the
 * shutdown drain). Nothing slow runs while it is held: no handler, no send, no commit; futures are completed after
 * it is released.
 *
 * <p>
 * A {@code @Singleton}, like the other beans called several times per record ({@link Delivery},
 * {@code ProcessorMetrics}): injected as itself, not through a client proxy, whose lookup showed in the profile of
 * the producer's I/O thread.
 */
@Singleton
public class CoreLock {

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a record leaves the in-flight phases. */
    private final Condition progress = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final EngineCore<RecordWork> core;
    /**
     * Guarded by {@link #lock}. Completed when there is room again for the record the connector is waiting to
     * hand over; null when it is not waiting.
     */
    private CompletableFuture<Void> room;
    /** Hands records to the workers: the {@link ProcessingEngine}'s, set when it is created. */
    private volatile Consumer<List<RecordWork>> dispatcher = records -> {
        throw new IllegalStateException("no engine to dispatch " + records + " to");
    };

    public CoreLock(TransactionsConfig config) {
        this.core = new EngineCore<>(DeliveryChoice.window(config), maxPendingBytes(config));
    }

    /** The configured byte window, or a quarter of the heap: what the engine holds must never exhaust it. */
    static long maxPendingBytes(TransactionsConfig config) {
        return config.work().maxPendingBytes().map(size -> size.asLongValue())
                .orElse(Runtime.getRuntime().maxMemory() / 4);
    }

    /** Runs {@code action} on the core with the lock held. */
    <T> T call(Function<EngineCore<RecordWork>, T> action) {
        lock.lock();
        try {
            return action.apply(core);
        } finally {
            lock.unlock();
        }
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    /** The core, for a caller that holds the lock (asserted). */
    EngineCore<RecordWork> core() {
        assertHeld();
        return core;
    }

    void assertHeld() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the engine's lock is not held by " + Thread.currentThread().getName());
        }
    }

    /**
     * Runs {@code booking} on the core with the lock held, then what follows records leaving the window: waiters on
     * progress are signalled; once the lock is released, held-back records that may start now are started and the
     * connector is woken if it waits and there is room.
     */
    <T> T book(Function<EngineCore<RecordWork>, T> booking) {
        T result;
        CompletableFuture<Void> wake;
        List<RecordWork> toStart;
        lock.lock();
        try {
            result = booking.apply(core);
            progress.signalAll();
            wake = wakeIfRoom();
            toStart = core.takeStartable();
        } finally {
            lock.unlock();
        }
        dispatch(toStart);
        if (wake != null) {
            wake.complete(null);
        }
        return result;
    }

    /** With the lock held: a record left the in-flight phases. */
    void signalProgress() {
        assertHeld();
        progress.signalAll();
    }

    /** With the lock held: waits for {@link #signalProgress()} at most {@code nanos}. */
    long awaitProgress(long nanos) throws InterruptedException {
        assertHeld();
        return progress.awaitNanos(nanos);
    }

    /** With the lock held: the future the connector waits on until there is room. */
    CompletableFuture<Void> waitForRoom() {
        assertHeld();
        if (room == null) {
            room = new CompletableFuture<>();
        }
        return room;
    }

    /** With the lock held: the connector's wake-up, if it waits and there is room again; complete it unlocked. */
    CompletableFuture<Void> wakeIfRoom() {
        assertHeld();
        if (room != null && core.hasRoom()) {
            CompletableFuture<Void> wake = room;
            room = null;
            return wake;
        }
        return null;
    }

    /** The engine's worker pool, for the records that become startable where no engine is at hand. */
    void dispatchWith(Consumer<List<RecordWork>> dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** Without the lock: hands the records to workers. */
    void dispatch(List<RecordWork> records) {
        if (!records.isEmpty()) {
            dispatcher.accept(records);
        }
    }

    /** With the lock held: the connector must never be woken again (a shutdown drain began). */
    void neverWake() {
        assertHeld();
        room = null;
    }
}
