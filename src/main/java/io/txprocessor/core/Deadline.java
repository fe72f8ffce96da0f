package io.txprocessor.core;

import java.time.Duration;
import java.time.Instant;

/**
 * A point in time every step of a drain works towards. One is made when the
 * drain starts and passed to each step; a step that needs to leave time for the
 * steps after it asks for {@link #minus(Duration)} rather than starting a clock
 * of its own. Immutable.
 */
public final class Deadline {

    private final long atNanos;
    private final Instant at;

    private Deadline(long atNanos, Instant at) {
        this.atNanos = atNanos;
        this.at = at;
    }

    /**
     * A deadline {@code duration} after {@code startNanos} (a
     * {@link System#nanoTime()} reading).
     */
    public static Deadline after(long startNanos, Duration duration) {
        long elapsed = System.nanoTime() - startNanos;
        return new Deadline(startNanos + duration.toNanos(), Instant.now().plus(duration).minusNanos(elapsed));
    }

    /** This deadline moved earlier, to keep time for what comes after. */
    public Deadline minus(Duration reserve) {
        return new Deadline(atNanos - reserve.toNanos(), at.minus(reserve));
    }

    /** Time left, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, remainingNanos()));
    }

    public long remainingNanos() {
        return atNanos - System.nanoTime();
    }

    public boolean passed() {
        return remainingNanos() <= 0;
    }

    /** Wall-clock time of the deadline, for reports. */
    public Instant at() {
        return at;
    }

    @Override
    public String toString() {
        return at + " (" + remaining().toMillis() + " ms left)";
    }

    /** A duration as people write it in the configuration: 30s, 1500ms, -1s. */
    public static String text(Duration value) {
        long millis = value.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }
}
