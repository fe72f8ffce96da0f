package io.txprocessor.metrics;

import java.time.Duration;
import java.util.Arrays;

/**
 * How long one kind of broker round trip takes here (a state event's acknowledgement, a commit): a sliding window
 * of the last measurements, sampled one at a time. At most one measurement is outstanding: while it is, nothing
 * else is timed, and its age so far counts as the latest figure, so a broker that stops answering shows at once
 * (a round trip that never ends is at least as slow as it is old).
 *
 * <p>
 * Threads: {@link #start()} runs on the thread that sends (a worker, the polling thread), {@link #end(long)} on the
 * one that learns the answer (the producer's I/O thread, the polling thread), {@link #figures(double)} on the
 * drain's. The common path of {@link #start()} while a measurement is outstanding is one volatile read; the rest
 * is synchronized, held for nanoseconds (the copy and sort of {@link #figures} run only at a drain).
 */
public final class LatencyWindow {

    /** A window's figures, in nanoseconds: its high percentile, the latest (or outstanding) one, and the count. */
    public record Figures(long highNanos, long latestNanos, int samples) {

        /** The larger of the percentile and the latest: what the next round trip should be expected to cost. */
        public long basisNanos() {
            return Math.max(highNanos, latestNanos);
        }
    }

    private final long[] windowNanos;
    private final long intervalNanos;
    private int warmUp;
    /** {@link System#nanoTime()} when the outstanding measurement began; 0 while none is. */
    private volatile long outstandingSince;
    private long nextStart;
    private int next;
    private int count;
    private long latestNanos;

    /**
     * @param size how many measurements the window keeps
     * @param interval the least time between the starts of two measurements (bounds their cost at high rates)
     * @param warmUp how many of the first measurements are left out: they time a cold JVM and fresh connections,
     *        not what the broker costs
     */
    public LatencyWindow(int size, Duration interval, int warmUp) {
        this.warmUp = warmUp;
        if (size < 1) {
            throw new IllegalArgumentException("window size " + size + " < 1");
        }
        this.windowNanos = new long[size];
        this.intervalNanos = interval.toNanos();
        this.nextStart = System.nanoTime(); // nanoTime may be negative: the first start compares against this
    }

    /**
     * Begins a measurement if none is outstanding and the interval has passed: returns its start, to hand to
     * {@link #end(long)}, or 0 when this round trip is not timed.
     */
    public long start() {
        if (outstandingSince != 0) {
            return 0;
        }
        long now = System.nanoTime();
        synchronized (this) {
            if (outstandingSince != 0 || now - nextStart < 0) {
                return 0;
            }
            long start = now == 0 ? 1 : now;
            outstandingSince = start;
            return start;
        }
    }

    /** Ends the measurement that {@link #start()} began (nothing when {@code start} is 0). */
    public void end(long start) {
        end(start, 0);
    }

    /** Ends it, leaving out {@code excludedNanos} of it (time the caller knows is not part of the round trip). */
    public void end(long start, long excludedNanos) {
        if (start == 0) {
            return;
        }
        long now = System.nanoTime();
        synchronized (this) {
            recordSampled(now - start - Math.max(0, excludedNanos));
            if (outstandingSince == start) {
                outstandingSince = 0;
                nextStart = now + intervalNanos;
            }
        }
    }

    /** Drops the measurement that {@link #start()} began, unrecorded (a round trip that did not happen after all). */
    public void cancel(long start) {
        if (start == 0) {
            return;
        }
        synchronized (this) {
            if (outstandingSince == start) {
                outstandingSince = 0;
            }
        }
    }

    /**
     * A sampled round trip: while it was outstanding no other was timed, so a round trip longer than the interval
     * also stands for the ones that would have started every interval meanwhile, each as long as it would have
     * waited (the longest {@code nanos - interval}, down to one interval). Without them a 1.5 s stall would count
     * as one sample among the hundreds of a healthy 10 s and fall out of any high percentile; with them it weighs
     * as the time it lasted (at most the window's size of them).
     */
    public synchronized void recordSampled(long nanos) {
        if (intervalNanos > 0) {
            int standIns = 0;
            for (long waited = nanos - intervalNanos; waited >= intervalNanos
                    && standIns < windowNanos.length - 1; waited -= intervalNanos) {
                record(waited);
                standIns++;
            }
        }
        record(nanos); // last: it is the latest figure
    }

    /** A round trip timed by its caller (a drain's own steps). */
    public synchronized void record(long nanos) {
        if (warmUp > 0) {
            warmUp--;
            return;
        }
        long took = Math.max(0, nanos);
        windowNanos[next] = took;
        next = (next + 1) % windowNanos.length;
        count = Math.min(count + 1, windowNanos.length);
        latestNanos = took;
    }

    /** The window's {@code percentile} (0 to 1), the latest figure (an outstanding one's age if larger), the count. */
    public Figures figures(double percentile) {
        long now = System.nanoTime();
        synchronized (this) {
            long[] sorted = Arrays.copyOf(windowNanos, count);
            Arrays.sort(sorted);
            long high = count == 0
                    ? 0
                    : sorted[Math.max(0, Math.min(count - 1, (int) Math.ceil(percentile * count) - 1))];
            long since = outstandingSince;
            long latest = Math.max(count == 0 ? 0 : latestNanos, since == 0 ? 0 : now - since);
            return new Figures(high, latest, count);
        }
    }
}
