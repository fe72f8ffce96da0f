package io.txprocessor.drain;

import java.time.Duration;

import io.txprocessor.metrics.HandOffTimings;
import io.txprocessor.metrics.LatencyWindow;

/**
 * How large a drain's hand-off reserve is, and why. A hand-off is, after the work: the SUSPENDED events published
 * and acknowledged (one acknowledgement round), the commit (one commit round trip; exactly once the final
 * transaction's), and the consumer's close, which leaves the group (one round trip to the same coordinator as a
 * commit). So with {@code drain.hand-off-reserve=auto} the reserve is
 *
 * <pre>
 * {@value #FACTOR} × (acknowledgement + 2 × commit), within {@link #FLOOR} and the maximum
 * </pre>
 *
 * where each figure is the larger of the high percentile ({@value #PERCENTILE}) of the recent measurements and the
 * latest one (a round trip outstanding counts as old as it is). Each figure is already a p99 or worse, and a sum of
 * three p99s is well above the p99 of the sum; the factor covers what the figures do not show: GC, the CPU the
 * hand-off itself needs, a broker slower at the drain than before it. It is 1.5, not 2: in every drain measured
 * here (healthy, blocked database, slow broker) the hand-off used at most 0.3 of the unfactored sum (151 ms of
 * 533 ms at most), and the figures, taken under full load, are above what the few events of a drain wait for;
 * with 2 the loaded CI machine's p99s (acknowledgements 155–206 ms) put the reserve past 500 ms, and the work
 * under 95 % of a 30 s grace period. The maximum is the smaller of
 * {@code drain.hand-off-reserve-max} and half of the time the drain has: the work always keeps at least half.
 * A fixed {@code drain.hand-off-reserve} is used as it is (the figures are still reported).
 *
 * <p>
 * Why the floor is 400 ms: it is the part of a hand-off that no broker figure shows, with room for it: cancelling
 * up to {@code max-concurrency} handlers, serializing their events and the report, a GC pause on a busy two-core
 * container. Measured here with a healthy broker, a whole hand-off (64 SUSPENDED events, their acknowledgement,
 * the commit) takes 24–151 ms; and 400 ms with the 1 s exit margin leaves the work 86 % of a 10 s grace period and
 * 95.3 % of a 30 s one, so that a reserve measured a little above the floor still leaves 85 % and 95 %. Why the maximum defaults to 4 s: the fixed reserve this service had before, which covers a
 * broker that has stopped answering (its sends and commit then end by the deadline, and are handed off as such),
 * and a hand-off that would need more than that leaves the work too little to be worth it.
 *
 * <p>
 * Threads: one instance per drain, used by the drain's own thread only.
 */
final class HandOffCost {

    static final double PERCENTILE = 0.99;
    static final double FACTOR = 1.5;
    static final Duration FLOOR = HandOffReserve.FLOOR;
    /** The rule, as the report gives it. */
    static final String RULE = FACTOR + " x (ack + 2 x commit), each max(p99, latest), within " + FLOOR.toMillis()
            + " ms and the maximum";

    /** The reserve and the figures it came from. */
    record Sizing(Duration reserve, Duration max, LatencyWindow.Figures acknowledgements,
            LatencyWindow.Figures commits) {
    }

    private final HandOffReserve setting;
    private final HandOffTimings timings;
    private final Duration max;
    private Sizing latest;

    /**
     * @param available the time the drain has, from its start to its deadline: the reserve takes half of it at most
     */
    HandOffCost(HandOffReserve setting, Duration configuredMax, HandOffTimings timings, Duration available) {
        this.setting = setting;
        this.timings = timings;
        Duration half = available.dividedBy(2);
        this.max = configuredMax.compareTo(half) <= 0 ? configuredMax : half;
    }

    /**
     * The reserve from the figures measured up to now. It only grows within one drain: a broker that answers again
     * after a slow spell does not take back time the work was told it would not get.
     */
    Sizing size() {
        LatencyWindow.Figures acks = timings.acknowledgements().figures(PERCENTILE);
        LatencyWindow.Figures commits = timings.commits().figures(PERCENTILE);
        Duration reserve = setting.fixed().orElseGet(() -> reserve(acks, commits, max));
        if (latest != null && latest.reserve().compareTo(reserve) > 0) {
            reserve = latest.reserve();
        }
        latest = new Sizing(reserve, max, acks, commits);
        return latest;
    }

    /** The rule itself, on the figures given (visible for testing). */
    static Duration reserve(LatencyWindow.Figures acks, LatencyWindow.Figures commits, Duration max) {
        double wanted = FACTOR * ((double) acks.basisNanos() + 2.0 * commits.basisNanos());
        // A maximum below the floor (a drain with less than a second) wins: the reserve never takes more than half.
        long floor = Math.min(FLOOR.toNanos(), max.toNanos());
        return Duration.ofNanos((long) Math.min(max.toNanos(), Math.max(floor, wanted)));
    }
}
