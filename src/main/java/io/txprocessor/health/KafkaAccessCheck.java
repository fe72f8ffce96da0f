package io.txprocessor.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.drain.DrainStatus;

/**
 * Fails the start when the cluster refuses our credentials, with a message that says so, instead of leaving a
 * process up whose consumer retries an authentication that cannot succeed. A broker that is merely unreachable at
 * start is not an error: the clients connect when it comes.
 */
@ApplicationScoped
public class KafkaAccessCheck {

    private static final HealthLog LOG = HealthLog.of(KafkaAccessCheck.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final Map<String, Object> kafkaConfig;
    private final DrainStatus status;

    public KafkaAccessCheck(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            DrainStatus status) {
        this.kafkaConfig = kafkaConfig;
        this.status = status;
    }

    /**
     * Runs the check on a thread of its own: with the broker unreachable it takes up to {@link #TIMEOUT}, and a
     * start blocked that long does not act on a SIGTERM (measured: exit 12.4 s after the signal, status 143, past a
     * 10 s grace period). Refused credentials still end the process, with status 1.
     */
    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        Thread thread = new Thread(this::checkOrExit, "kafka-access-check");
        thread.setDaemon(true);
        thread.start();
    }

    private void checkOrExit() {
        try {
            check();
        } catch (IllegalStateException e) {
            LOG.kafkaRefusedCredentials(e.getMessage());
            // The stop drains as any other (nothing can have been consumed with refused credentials), and the
            // exit is 1, not the clean drain's 0.
            status.startFailed();
            Quarkus.asyncExit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void check() throws InterruptedException {
        Map<String, Object> config = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key) || key.startsWith("sasl.") || key.startsWith("ssl.")) {
                config.put(key, value);
            }
        });
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "transaction-processor-access-check");
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        try (Admin admin = Admin.create(config)) {
            admin.describeCluster().clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
                throw new IllegalStateException("Kafka refused this service's credentials ("
                        + config.getOrDefault("security.protocol", "PLAINTEXT") + ", "
                        + config.getOrDefault("sasl.mechanism", "no SASL mechanism") + "): " + cause.getMessage()
                        + ". Check KAFKA_SASL_JAAS_CONFIG / KAFKA_SASL_MECHANISM / KAFKA_SECURITY_PROTOCOL.", cause);
            }
            LOG.kafkaNotReachableAtStart(cause.toString());
        } catch (TimeoutException e) {
            LOG.kafkaDidNotAnswerAtStart(TIMEOUT);
        }
    }
}
