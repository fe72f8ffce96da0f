package io.txprocessor.health;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import io.txprocessor.drain.DrainStatus;
import io.txprocessor.engine.ProcessingEngine;

/**
 * Alive unless the consumer's polling thread has stopped outside a drain, or a handler threw a JVM {@code Error}
 * (out of memory, a class missing after a bad deploy: the process must be replaced, and the record is left for
 * the next owner). During a drain it stays UP until the process exits: restarting a draining instance would only
 * cut the drain short. Never calls the broker or a handler: it reads in-memory state.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

    private final DrainStatus status;
    private final PollingThreadHeartbeat heartbeat;
    private final ProcessingEngine engine;
    private final HealthConfig config;

    public LivenessCheck(DrainStatus status, PollingThreadHeartbeat heartbeat, ProcessingEngine engine,
            HealthConfig config) {
        this.status = status;
        this.heartbeat = heartbeat;
        this.engine = engine;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Duration silent = Duration.between(heartbeat.lastBeat(), Instant.now());
        boolean crashed = engine.crashed();
        boolean alive = status.shuttingDown() || !crashed && silent.compareTo(config.pollingStallTimeout()) < 0;
        return HealthCheckResponse.named("transaction-processor").status(alive)
                .withData("pollingThreadSilentMs", silent.toMillis()).withData("handlerCrashed", crashed).build();
    }
}
