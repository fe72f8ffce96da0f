package io.txprocessor.drain;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
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
     * publish SUSPENDED, commit, leave the group.
     */
    @WithDefault("4s")
    Duration handOffReserve();

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
