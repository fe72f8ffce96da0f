package io.txprocessor.tools;

/**
 * One timed benchmark run: records per second over its window, and the CPU time (user + system) its process took
 * per record over the same window, in µs (NaN when it could not be sampled).
 */
record Measured(double rate, double cpuMicrosPerRecord) {
}
