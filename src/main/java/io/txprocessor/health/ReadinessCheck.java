package io.txprocessor.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.txprocessor.drain.DrainStatus;

/**
 * Ready unless draining: DOWN from the first moment of a shutdown drain, so the
 * orchestrator stops counting on this instance. Reads only in-memory state.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

    private final DrainStatus status;

    public ReadinessCheck(DrainStatus status) {
        this.status = status;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("transaction-processor").status(!status.shuttingDown())
                .withData("drain", status.state().name()).build();
    }
}
