package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.RepeatedTest;

/**
 * The signal's time and the shutdown's deadline are one reading of the clock: the report's {@code workMs} (the
 * deadline less the reserve, from the signal's time) is then exactly the grace period less the exit margin and the
 * reserve, however long the thread that noticed SIGTERM was descheduled in between (CI printed 8,490 ms for a
 * 10 s grace period, 1 s margin and 500 ms reserve).
 */
class ProcessExitSignalTest {

    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration MARGIN = Duration.ofSeconds(1);

    @RepeatedTest(20)
    void theDeadlineIsTheSignalsTimePlusTheGracePeriodLessTheExitMarginToTheNanosecond() {
        ProcessExit exit = new ProcessExit(config(), new DrainStatus(), new ConsumerClosed());

        ProcessExit.Signal signal = exit.signalled();

        assertThat(Duration.between(signal.at(), signal.deadline().at())).isEqualTo(GRACE.minus(MARGIN));
    }

    private static DrainConfig config() {
        return new DrainConfig() {
            @Override
            public Duration gracePeriod() {
                return GRACE;
            }

            @Override
            public HandOffReserve handOffReserve() {
                return HandOffReserve.AUTO;
            }

            @Override
            public Duration handOffReserveMax() {
                return Duration.ofSeconds(4);
            }

            @Override
            public Duration exitMargin() {
                return MARGIN;
            }

            @Override
            public Duration rebalanceTimeout() {
                return Duration.ofSeconds(60);
            }
        };
    }
}
