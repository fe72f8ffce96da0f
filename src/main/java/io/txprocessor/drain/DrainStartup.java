package io.txprocessor.drain;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.transaction.TransactionsConfig;
import io.txprocessor.transaction.TransactionsConfig.GroupProtocol;

/**
 * At start: warns when the session timeout exceeds the drain's budget, and registers the drain's gauges. That
 * the drain's settings fit together (a start that cannot drain in time fails at once, not at the first SIGTERM)
 * is checked earlier, while the configuration is read: see {@link io.txprocessor.config.SettingsCheck}.
 *
 * <p>
 * Which session timeout: under the classic protocol the client's {@code session.timeout.ms}; under
 * {@code consumer} (KIP-848) the client has none, and the group's {@code consumer.session.timeout.ms} (which
 * defaults to the broker's {@code group.consumer.session.timeout.ms}) is read from the broker, on a thread of its
 * own so that a broker not yet reachable does not hold the start. If it cannot be read, a line says so.
 */
@ApplicationScoped
public class DrainStartup {

    private static final DrainLog LOG = DrainLog.of(DrainStartup.class);
    /** The group-level setting (Kafka 4.0+) that the new protocol's session timeout comes from. */
    static final String GROUP_SESSION_TIMEOUT = "consumer.session.timeout.ms";
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    private final DrainConfig config;
    private final DrainStatus status;
    private final ProcessorMetrics metrics;
    private final TransactionsConfig transactions;
    private final Map<String, Object> kafkaConfig;
    private final Duration sessionTimeout;

    public DrainStartup(DrainConfig config, DrainStatus status, ProcessorMetrics metrics,
            TransactionsConfig transactions, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            @ConfigProperty(name = "mp.messaging.incoming.transactions.session.timeout.ms", defaultValue = "45000") long sessionTimeoutMs) {
        this.config = config;
        this.status = status;
        this.metrics = metrics;
        this.transactions = transactions;
        this.kafkaConfig = kafkaConfig;
        this.sessionTimeout = Duration.ofMillis(sessionTimeoutMs);
    }

    void onStart(@Observes StartupEvent event) {
        if (transactions.input().groupProtocol() == GroupProtocol.CLASSIC) {
            checkSessionTimeout(sessionTimeout, "session.timeout.ms");
        } else {
            Thread lookup = new Thread(this::checkGroupSessionTimeout, "drain-session-timeout-check");
            lookup.setDaemon(true);
            lookup.start();
        }
        metrics.drainGauges(() -> status.state().value(), () -> status.deadlineRemaining().toMillis() / 1000.0,
                config.gracePeriod().toMillis() / 1000.0,
                Arrays.stream(Trigger.values()).map(Trigger::tag).toList());
    }

    private void checkSessionTimeout(Duration timeout, String source) {
        // With the auto reserve, the budget when the broker is slow: the reserve at its maximum.
        Duration reserve = config.handOffReserve().fixed().orElse(config.handOffReserveMax());
        Duration budget = config.gracePeriod().minus(reserve).minus(config.exitMargin());
        if (timeout.compareTo(budget) >= 0) {
            // A SIGKILLed member holds every rebalance, and so every commit, for up to its session timeout.
            LOG.sessionTimeoutNotShorterThanBudget(source, timeout, budget);
        }
    }

    /** Under KIP-848: the group's session timeout, as the broker has it. */
    private void checkGroupSessionTimeout() {
        Map<String, Object> adminConfig = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key)) {
                adminConfig.put(key, value);
            }
        });
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "transaction-processor-startup");
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, transactions.input().groupId());
        try (Admin admin = Admin.create(adminConfig)) {
            Config described = admin.describeConfigs(List.of(group)).all()
                    .get(LOOKUP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(group);
            ConfigEntry entry = described == null ? null : described.get(GROUP_SESSION_TIMEOUT);
            if (entry == null || entry.value() == null) {
                LOG.groupSessionTimeoutNotReported(GROUP_SESSION_TIMEOUT, transactions.input().groupId());
                return;
            }
            checkSessionTimeout(Duration.ofMillis(Long.parseLong(entry.value())),
                    "the group's " + GROUP_SESSION_TIMEOUT + " (group.protocol=consumer)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.groupSessionTimeoutUnreadable(GROUP_SESSION_TIMEOUT, transactions.input().groupId(),
                    e instanceof ExecutionException ? e.getCause() : e);
        }
    }
}
