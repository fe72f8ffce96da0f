package io.txprocessor.drain;

import java.time.Duration;
import java.util.Arrays;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.txprocessor.metrics.ProcessorMetrics;

/**
 * At start: warns when the session timeout exceeds the drain's budget, and registers the drain's gauges. That
 * the drain's settings fit together (a start that cannot drain in time fails at once, not at the first SIGTERM)
 * is checked earlier, while the configuration is read: see {@link io.txprocessor.config.SettingsCheck}.
 */
@ApplicationScoped
public class DrainStartup {

    private static final Logger LOG = Logger.getLogger(DrainStartup.class);

    private final DrainConfig config;
    private final DrainStatus status;
    private final ProcessorMetrics metrics;
    private final Duration sessionTimeout;

    public DrainStartup(DrainConfig config, DrainStatus status, ProcessorMetrics metrics,
            @ConfigProperty(name = "mp.messaging.incoming.transactions.session.timeout.ms", defaultValue = "45000") long sessionTimeoutMs) {
        this.config = config;
        this.status = status;
        this.metrics = metrics;
        this.sessionTimeout = Duration.ofMillis(sessionTimeoutMs);
    }

    void onStart(@Observes StartupEvent event) {
        Duration budget = config.gracePeriod().minus(config.handOffReserve()).minus(config.exitMargin());
        if (sessionTimeout.compareTo(budget) >= 0) {
            // A SIGKILLed member holds every rebalance, and so every commit, for up to its session timeout.
            LOG.warnf(
                    "session.timeout.ms (%s) is not shorter than the drain's budget (%s): a drain right after another "
                            + "instance was killed may not be able to commit, and its records would be processed again",
                    sessionTimeout, budget);
        }
        metrics.drainGauges(() -> status.state().value(), () -> status.deadlineRemaining().toMillis() / 1000.0,
                config.gracePeriod().toMillis() / 1000.0,
                Arrays.stream(Trigger.values()).map(Trigger::tag).toList());
    }
}
