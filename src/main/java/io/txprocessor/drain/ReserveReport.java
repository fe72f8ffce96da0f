package io.txprocessor.drain;

import io.txprocessor.metrics.LatencyWindow;

/**
 * The drain report's {@code handOffReserve}: what the hand-off reserve was, why, and how much of it the hand-off
 * used.
 *
 * @param setting {@code auto} or the fixed duration configured
 * @param reserveMs the reserve the drain kept back from the work
 * @param maxMs the most it could have grown to (the configured maximum, or half of the drain's time)
 * @param workMs the time the work was given, from the drain's start (for a shutdown: SIGTERM) to the reserve
 * @param usedMs how long the hand-off took: from the end of the work to the end of the commit
 * @param rule how an {@code auto} reserve is sized from the figures
 * @param acknowledgements state events' send-to-acknowledgement, as measured up to the moment the reserve was fixed
 * @param commits commits (exactly once: transaction commits with their offsets), likewise
 */
public record ReserveReport(String setting, long reserveMs, long maxMs, long workMs, long usedMs, String rule,
        Figures acknowledgements, Figures commits) {

    /**
     * One kind of round trip, in milliseconds.
     *
     * @param p99Ms the 99th percentile of the recent measurements
     * @param latestMs the latest measurement, or the age of one still outstanding if that is larger
     * @param samples how many measurements the percentile is of
     */
    public record Figures(double p99Ms, double latestMs, int samples) {

        static Figures of(LatencyWindow.Figures figures) {
            return new Figures(millis(figures.highNanos()), millis(figures.latestNanos()), figures.samples());
        }

        private static double millis(long nanos) {
            return Math.round(nanos / 100_000.0) / 10.0;
        }
    }
}
