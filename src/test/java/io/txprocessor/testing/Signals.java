package io.txprocessor.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * Signals other than SIGTERM and SIGKILL to the processes tests start (the service, the broker), sent by
 * {@code kill(1)}: {@link ProcessHandle} sends only those two.
 */
public final class Signals {

    private Signals() {
    }

    /**
     * {@code kill -NAME pid}, e.g. {@code STOP} or {@code CONT}; returns once the signal is sent, and fails, naming
     * {@code who}, if kill did not succeed within 10 s.
     */
    public static void send(long pid, String signal, String who) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " failed for " + who);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@link #send} on a clean-up path: best effort, silent, so that it never hides the failure that led there; the
     * clean-up that follows (SIGTERM, SIGKILL) does the rest.
     */
    public static void sendQuietly(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // see above: what follows stops the process anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
