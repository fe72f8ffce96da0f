package io.txprocessor.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polling for a condition, for harness code that cannot use Awaitility's fluent style. */
public final class Waits {

    private Waits() {
    }

    /** Waits until the condition holds; fails with the message if it does not within the timeout. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            pause(Duration.ofMillis(50));
        }
    }

    /** The polling interval between two checks of a condition. */
    static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
