package io.txprocessor.drain;

import java.time.Duration;
import java.util.Arrays;

/**
 * What a hand-off costs on this deployment, learnt from what its steps cost while the service runs: the broker's
 * acknowledgement of a state event, a commit (exactly once: a transaction's commit), a consumer's close at an
 * earlier drain. A hand-off is a few of these round trips, so the reserve it needs is a high percentile of them
 * times a safety factor, never below a floor nor above a maximum. At drain time a slow or unreachable broker shows
 * in the latest figure (a time-out counts as its full length), which the reserve then grows to cover.
 *
 * <p>
 * Written by the threads that measure (the producer's callback thread, the polling thread), read by the drain:
 * every method is synchronized; the window is small, so the lock is held for microseconds.
 */
public final class HandOffCost {

    /** The reserve, and why it is what it is, for the drain report. */
    public record Sizing(Duration reserve, Duration percentile, Duration latest, int samples, double factor,
            Duration floor, Duration max) {
    }

    private final long[] windowNanos;
    private int next;
    private int count;
    private long latestNanos;

    /** A sliding window of the last {@code size} measurements. */
    public HandOffCost(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("window size " + size + " < 1");
        }
        this.windowNanos = new long[size];
    }

    /** One step measured: how long the broker took (or, when it never answered, the time-out). */
    public synchronized void record(Duration took) {
        long nanos = Math.max(0, took.toNanos());
        windowNanos[next] = nanos;
        next = (next + 1) % windowNanos.length;
        count = Math.min(count + 1, windowNanos.length);
        latestNanos = nanos;
    }

    /**
     * The reserve for a hand-off now: the larger of the window's {@code percentile} (0 to 1) and the latest
     * measurement, times {@code factor}, within {@code floor} and {@code max}. With nothing measured yet, the floor.
     */
    public synchronized Sizing size(double percentile, double factor, Duration floor, Duration max) {
        long[] sorted = Arrays.copyOf(windowNanos, count);
        Arrays.sort(sorted);
        long high = count == 0 ? 0 : sorted[Math.min(count - 1, (int) Math.ceil(percentile * count) - 1)];
        long basis = Math.max(high, count == 0 ? 0 : latestNanos);
        long wanted = (long) Math.min(Long.MAX_VALUE, basis * factor);
        long reserve = Math.min(max.toNanos(), Math.max(floor.toNanos(), wanted));
        return new Sizing(Duration.ofNanos(reserve), Duration.ofNanos(high),
                Duration.ofNanos(count == 0 ? 0 : latestNanos), count, factor, floor, max);
    }
}
