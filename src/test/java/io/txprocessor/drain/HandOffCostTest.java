package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** The auto reserve's arithmetic: a percentile of a sliding window, the latest figure, a factor, floor and max. */
class HandOffCostTest {

    private static final Duration FLOOR = Duration.ofMillis(500);
    private static final Duration MAX = Duration.ofSeconds(4);

    @Test
    void nothingMeasuredYetReservesTheFloor() {
        HandOffCost.Sizing sizing = new HandOffCost(100).size(0.99, 3, FLOOR, MAX);
        assertThat(sizing.reserve()).isEqualTo(FLOOR);
        assertThat(sizing.samples()).isZero();
    }

    @Test
    void aHealthyBrokerReservesTheFloorAndASlowOneAHighPercentileTimesTheFactor() {
        HandOffCost cost = new HandOffCost(100);
        for (int i = 1; i <= 100; i++) {
            cost.record(Duration.ofMillis(i)); // 1..100 ms; p99 = 99 ms
        }
        cost.record(Duration.ofMillis(50)); // the oldest (1 ms) leaves the window; the latest is 50 ms
        assertThat(cost.size(0.99, 3, FLOOR, MAX).reserve()).as("3 × 99 ms < the floor").isEqualTo(FLOOR);

        for (int i = 0; i < 100; i++) {
            cost.record(Duration.ofMillis(i < 98 ? 100 : 400)); // a 100 ms round trip, two at 400 ms
        }
        HandOffCost.Sizing slow = cost.size(0.99, 3, FLOOR, MAX);
        assertThat(slow.percentile()).isEqualTo(Duration.ofMillis(400));
        assertThat(slow.reserve()).isEqualTo(Duration.ofMillis(1200));
        assertThat(slow.samples()).isEqualTo(100);
    }

    @Test
    void aTimeOutAtDrainTimeGrowsTheReserveUpToTheMaximum() {
        HandOffCost cost = new HandOffCost(100);
        for (int i = 0; i < 100; i++) {
            cost.record(Duration.ofMillis(20));
        }
        cost.record(Duration.ofMillis(900)); // the broker slows down: the latest figure counts in full
        assertThat(cost.size(0.99, 3, FLOOR, MAX).reserve()).isEqualTo(Duration.ofMillis(2700));
        cost.record(Duration.ofSeconds(10)); // a time-out
        HandOffCost.Sizing unreachable = cost.size(0.99, 3, FLOOR, MAX);
        assertThat(unreachable.reserve()).as("never above the maximum").isEqualTo(MAX);
        assertThat(unreachable.latest()).isEqualTo(Duration.ofSeconds(10));
    }
}
