package io.txprocessor.health;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Health thresholds. */
@ConfigMapping(prefix = "health")
public interface HealthConfig {

    /**
     * Liveness turns DOWN when the consumer's polling thread has not run for this
     * long outside a drain. Keep it above drain.rebalance-timeout, during which a
     * revocation drain legitimately holds that thread.
     */
    @WithDefault("60s")
    Duration pollingStallTimeout();
}
