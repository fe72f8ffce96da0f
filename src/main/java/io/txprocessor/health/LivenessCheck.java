package io.txprocessor.health;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import io.txprocessor.drain.DrainStatus;
import io.txprocessor.engine.PeriodicCommitter;

/**
 * Alive unless the consumer's polling thread has stopped outside a drain.
 * During a drain it stays UP until the process exits: restarting a draining
 * instance would only cut the drain short. Never calls the broker or a handler:
 * it reads when the polling thread last ran one of our tasks.
 */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

    private final DrainStatus status;
    private final PeriodicCommitter committer;
    private final HealthConfig config;

    public LivenessCheck(DrainStatus status, PeriodicCommitter committer, HealthConfig config) {
        this.status = status;
        this.committer = committer;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Duration silent = Duration.between(committer.lastPollingThreadRun(), Instant.now());
        boolean alive = status.shuttingDown() || silent.compareTo(config.pollingStallTimeout()) < 0;
        return HealthCheckResponse.named("transaction-processor").status(alive)
                .withData("pollingThreadSilentMs", silent.toMillis()).build();
    }
}
