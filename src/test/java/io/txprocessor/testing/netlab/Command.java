package io.txprocessor.testing.netlab;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The {@code ip} and {@code nft} commands the lab runs: output captured, a failure said with that output. */
final class Command {

    private static final long TIMEOUT_SECONDS = 30;

    private Command() {
    }

    /** Runs {@code command} with {@code stdin} (or none), returns its output; fails unless it exits 0. */
    static String run(String stdin, String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(process));
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end in " + TIMEOUT_SECONDS
                        + " s");
            }
            String text = output.join();
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
                        + ": " + text + (stdin == null ? "" : "\ninput:\n" + stdin));
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }

    /** {@link #run} on a clean-up path: whatever went wrong must not hide the failure that led there. */
    static void runQuietly(String... command) {
        try {
            run(null, command);
        } catch (RuntimeException e) {
            // nothing to remove, or already removed: what teardown wants in either case
        }
    }

    private static String read(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
