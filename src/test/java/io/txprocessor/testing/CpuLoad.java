package io.txprocessor.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Threads that keep the CPU busy until closed: a host whose cores are taken by others (a neighbour on a two-core
 * ECS instance, a CPU-throttled pod), so that what a drain does on its own CPU takes several times longer.
 */
public final class CpuLoad implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    private CpuLoad(int threadCount) {
        for (int i = 0; i < threadCount; i++) {
            Thread thread = new Thread(this::spin, "cpu-load-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
    }

    /** Starts {@code threadCount} threads that spin until {@link #close()}. */
    public static CpuLoad start(int threadCount) {
        return new CpuLoad(threadCount);
    }

    private void spin() {
        long sink = 0;
        while (running.get()) {
            sink += System.nanoTime() % 7;
        }
        if (sink == 42) {
            Thread.onSpinWait(); // uses sink, so that the loop is not optimized away
        }
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
