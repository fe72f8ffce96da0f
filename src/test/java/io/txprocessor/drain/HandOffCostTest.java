package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.txprocessor.metrics.HandOffTimings;
import io.txprocessor.metrics.LatencyWindow;

/**
 * The auto reserve's sizing against recorded latencies: 1.5 × (acknowledgement + 2 × commit), each the larger of the
 * window's p99 and the latest figure, within the 400 ms floor and the maximum (the configured one, or half the
 * drain's time). The latencies below are of the kind measured here: a healthy local broker acknowledges in 2–15
 * ms and commits in 3–25 ms on two busy cores.
 */
class HandOffCostTest {

    private static final Duration MAX = Duration.ofSeconds(4);
    private static final Duration NINE_SECONDS = Duration.ofSeconds(9);

    @Test
    void nothingMeasuredYetReservesTheFloor() {
        HandOffCost.Sizing sizing = cost(new HandOffTimings(), NINE_SECONDS).size();
        assertThat(sizing.reserve()).isEqualTo(HandOffReserve.FLOOR);
        assertThat(sizing.acknowledgements().samples()).isZero();
        assertThat(sizing.commits().samples()).isZero();
    }

    @Test
    void aHealthyBrokerReservesTheFloor() {
        HandOffTimings timings = new HandOffTimings();
        long[] acks = {2, 3, 3, 4, 2, 5, 7, 15, 3, 2, 4, 3, 6, 2, 3, 9, 4, 3, 2, 3};
        long[] commits = {5, 4, 8, 25, 6, 3, 7, 5, 11, 4};
        for (int round = 0; round < 20; round++) {
            for (long ms : acks) {
                timings.acknowledgements().record(millis(ms));
            }
            for (long ms : commits) {
                timings.commits().record(millis(ms));
            }
        }
        HandOffCost.Sizing sizing = cost(timings, NINE_SECONDS).size();
        assertThat(sizing.acknowledgements().highNanos()).as("ack p99").isEqualTo(millis(15));
        assertThat(sizing.commits().highNanos()).as("commit p99").isEqualTo(millis(25));
        assertThat(sizing.reserve()).as("1.5 × (15 + 2 × 25) ms = 97.5 ms, below the floor")
                .isEqualTo(HandOffReserve.FLOOR);
    }

    @Test
    void aSlowBrokerGrowsTheReserveByTheRuleAndTheLatestFigureCountsInFull() {
        HandOffTimings timings = new HandOffTimings();
        for (int i = 0; i < 200; i++) {
            timings.acknowledgements().record(millis(i < 198 ? 100 : 300)); // p99 = 300 ms
            timings.commits().record(millis(150));
        }
        assertThat(cost(timings, NINE_SECONDS).size().reserve()).as("1.5 × (300 + 2 × 150) ms")
                .isEqualTo(Duration.ofMillis(900));

        timings.commits().record(millis(400)); // the latest commit is slower than the window's p99
        assertThat(cost(timings, NINE_SECONDS).size().reserve()).as("1.5 × (300 + 2 × 400) ms")
                .isEqualTo(Duration.ofMillis(1650));
    }

    @Test
    void anOutstandingRoundTripCountsAsOldAsItIsAndTheReserveOnlyGrowsWithinADrainUpToTheMaximum()
            throws InterruptedException {
        HandOffTimings timings = new HandOffTimings();
        for (int i = 0; i < 50; i++) {
            timings.acknowledgements().record(millis(5));
            timings.commits().record(millis(5));
        }
        HandOffCost cost = cost(timings, NINE_SECONDS);
        assertThat(cost.size().reserve()).isEqualTo(HandOffReserve.FLOOR);
        long start = timings.commits().start(); // a commit sent, and the broker does not answer
        assertThat(start).as("a measurement began").isNotZero();
        Thread.sleep(200);
        Duration grown = cost.size().reserve();
        assertThat(grown).as("1.5 × (5 + 2 × ≥200) ms").isGreaterThanOrEqualTo(Duration.ofMillis(607));
        timings.commits().cancel(start);
        assertThat(cost.size().reserve()).as("the reserve does not shrink within a drain").isEqualTo(grown);

        timings.commits().record(Duration.ofSeconds(10).toNanos()); // a time-out
        assertThat(cost.size().reserve()).as("never above the maximum").isEqualTo(MAX);
        assertThat(cost(timings, Duration.ofSeconds(5)).size().reserve()).as("nor above half the drain's time")
                .isEqualTo(Duration.ofMillis(2500));
        assertThat(cost(timings, Duration.ofMillis(600)).size().reserve())
                .as("half the drain's time wins over the floor").isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void aFixedReserveIsUsedAsItIsWhateverWasMeasured() {
        HandOffTimings timings = new HandOffTimings();
        timings.commits().record(Duration.ofSeconds(3).toNanos()); // the first, left out (warm-up)
        timings.commits().record(Duration.ofSeconds(3).toNanos());
        HandOffCost fixed = new HandOffCost(new HandOffReserve(Optional.of(Duration.ofSeconds(1))), MAX, timings,
                NINE_SECONDS);
        HandOffCost.Sizing sizing = fixed.size();
        assertThat(sizing.reserve()).isEqualTo(Duration.ofSeconds(1));
        assertThat(sizing.commits().latestNanos()).as("still reported").isEqualTo(Duration.ofSeconds(3).toNanos());
    }

    @Test
    void theWindowSamplesOneRoundTripAtATime() {
        LatencyWindow window = new LatencyWindow(4, Duration.ZERO, 0);
        long first = window.start();
        assertThat(window.start()).as("while one is outstanding").isZero();
        window.end(first);
        long second = window.start();
        assertThat(second).isNotZero();
        window.end(second);
        for (int i = 0; i < 6; i++) {
            window.record(millis(10 + i)); // the window keeps the last 4: 12..15 ms
        }
        assertThat(window.figures(0.99)).isEqualTo(new LatencyWindow.Figures(millis(15), millis(15), 4));
        assertThat(window.figures(0.5).highNanos()).isEqualTo(millis(13));
    }

    @Test
    void aStallSeenByTheOneOutstandingMeasurementWeighsAsTheTimeItLasted() {
        // One sample every 10 ms at most, one outstanding at a time: while the broker stalls for 1.5 s, the sends
        // that would have been timed meanwhile are not. Counted as one sample among hundreds, the stall would fall
        // out of the p99; it stands for the 150 samples it kept from being taken.
        LatencyWindow window = new LatencyWindow(1024, Duration.ofMillis(10), 0);
        for (int i = 0; i < 500; i++) {
            window.recordSampled(millis(5));
        }
        window.recordSampled(millis(1500));
        assertThat(window.figures(0.99).latestNanos()).as("the latest: the stall itself").isEqualTo(millis(1500));
        for (int i = 0; i < 100; i++) {
            window.recordSampled(millis(5));
        }
        assertThat(window.figures(0.99).highNanos()).as("p99 after a 1.5 s stall among 600 samples of 5 ms")
                .isGreaterThanOrEqualTo(millis(1400));
        assertThat(window.figures(0.5).highNanos()).as("the median, still the healthy round trip")
                .isEqualTo(millis(5));
    }

    private static HandOffCost cost(HandOffTimings timings, Duration available) {
        return new HandOffCost(HandOffReserve.AUTO, MAX, timings, available);
    }

    private static long millis(long ms) {
        return Duration.ofMillis(ms).toNanos();
    }
}
