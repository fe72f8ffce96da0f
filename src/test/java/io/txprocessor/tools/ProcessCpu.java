package io.txprocessor.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time a process has used so far (user + system, {@code utime + stime} of {@code /proc/<pid>/stat}), for the
 * benchmark's CPU-per-record rows: a figure that carries between machines better than a rate. Linux only.
 */
final class ProcessCpu {

    /** Clock ticks per second, the unit of {@code utime} and {@code stime} ({@code getconf CLK_TCK}). */
    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcessCpu() {
    }

    /** CPU time used by the process so far, in clock ticks; -1 once it has exited. */
    static long ticks(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return -1;
        }
        // Field 2, the command name, is in parentheses and may hold spaces: count the fields after its ')'. There
        // field 3 (state) comes first, so utime (field 14) and stime (field 15) are the 12th and 13th.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** CPU time used by this JVM so far, in clock ticks. */
    static long ownTicks() {
        return ticks(ProcessHandle.current().pid());
    }

    /** Microseconds of CPU per record between two samples; NaN when either is missing or no record was counted. */
    static double microsPerRecord(long startTicks, long endTicks, long records) {
        if (startTicks < 0 || endTicks < 0 || records <= 0) {
            return Double.NaN;
        }
        return (endTicks - startTicks) * 1e6 / TICKS_PER_SECOND / records;
    }

    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!getconf.waitFor(10, TimeUnit.SECONDS) || getconf.exitValue() != 0) {
                throw new IllegalStateException("getconf CLK_TCK failed: " + out);
            }
            return Long.parseLong(out);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run getconf CLK_TCK", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running getconf CLK_TCK", e);
        }
    }
}
