package io.txprocessor.drain;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

/**
 * How long drains may take. A shutdown drain lives inside
 * {@link #gracePeriod()}: in-flight records get all of it except
 * {@link #handOffReserve()} and {@link #exitMargin()}; the process is gone
 * before SIGKILL.
 */
@ConfigMapping(prefix = "drain")
public interface DrainConfig {

    /**
     * The time the platform allows from SIGTERM to SIGKILL: Kubernetes'
     * terminationGracePeriodSeconds (minus any preStop), ECS's stopTimeout, docker
     * stop's -t.
     */
    @WithDefault("30s")
    Duration gracePeriod();

    /**
     * Kept back at the end of a drain to hand off what did not finish: cancel it,
     * publish SUSPENDED, commit, leave the group. {@code auto}: sized at each drain
     * from what acknowledgements and commits cost here ({@link HandOffCost}); or a
     * fixed duration.
     */
    @WithDefault("auto")
    @WithConverter(HandOffReserve.Read.class)
    HandOffReserve handOffReserve();

    /**
     * The most an {@code auto} hand-off reserve may grow to when the broker is slow
     * (and never more than half of the drain's time).
     */
    @WithDefault("4s")
    Duration handOffReserveMax();

    /**
     * Kept back before SIGKILL: whatever is still running then, the process halts
     * with status 1.
     */
    @WithDefault("1s")
    Duration exitMargin();

    /**
     * The time a drain on partition revocation may take; it blocks the polling
     * thread, so keep it well below max.poll.interval.ms (300 s) and the group's
     * rebalance timeout.
     */
    @WithDefault("10s")
    Duration rebalanceTimeout();
}
