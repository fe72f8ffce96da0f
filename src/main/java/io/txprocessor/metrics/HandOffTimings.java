package io.txprocessor.metrics;

import java.time.Duration;

/**
 * What the steps of a hand-off cost on this deployment, measured continuously while the service runs, for the
 * drain to size its hand-off reserve from: the broker's acknowledgement of a state event (sent to acknowledged),
 * and a commit (at least once the consumer's offset commit, exactly once a transaction's commit with its offsets).
 * The state producer and the delivery write them ({@link ProcessorMetrics#handOffTimings()}); the drain reads them.
 */
public final class HandOffTimings {

    /**
     * Acknowledgements come by the thousand per second: a sample every 10 ms at most, the last 1,024 (at least
     * 10 s); the first 20 are left out: they time a cold JVM (no JIT yet) and fresh connections.
     */
    private final LatencyWindow acknowledgements = new LatencyWindow(1024, Duration.ofMillis(10), 20);
    /** A commit comes every commit interval (1 s by default): every one, the last 256, the first left out. */
    private final LatencyWindow commits = new LatencyWindow(256, Duration.ZERO, 1);

    /** A state event's send to its acknowledgement by the broker. */
    public LatencyWindow acknowledgements() {
        return acknowledgements;
    }

    /** A commit, from its request to the broker's answer. */
    public LatencyWindow commits() {
        return commits;
    }
}
