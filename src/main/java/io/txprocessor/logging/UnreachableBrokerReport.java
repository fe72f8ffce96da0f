package io.txprocessor.logging;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

/**
 * One line per {@code logs.broker-report-interval} while the Kafka clients fail to connect: the bootstrap
 * servers, how many attempts failed, and the last error; one line when they stop failing. The per-attempt
 * warnings themselves are held back by {@link KafkaConnectionFilter}.
 *
 * <p>
 * Its timer thread is its own and does nothing but read the counts and log.
 */
@ApplicationScoped
public class UnreachableBrokerReport {

    private static final LoggingLog LOG = LoggingLog.of(UnreachableBrokerReport.class);

    private final LoggingConfig config;
    private final Object bootstrapServers;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "unreachable-broker-report");
        thread.setDaemon(true);
        return thread;
    });
    /** Read and written on the timer thread only. */
    private boolean failing;

    public UnreachableBrokerReport(LoggingConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        this.config = config;
        this.bootstrapServers = kafkaConfig.get("bootstrap.servers");
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.brokerReportInterval().toMillis();
        timer.scheduleAtFixedRate(this::report, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** "15s", "1m30s": as the property is written, not ISO-8601's "PT15S". */
    private String interval() {
        return config.brokerReportInterval().toString().substring(2).toLowerCase(Locale.ROOT);
    }

    void report() {
        ConnectionFailures.Since since = ConnectionFailures.INSTANCE.take();
        if (since.attempts() > 0) {
            LOG.kafkaUnreachable(bootstrapServers, since.attempts(), interval(), since.lastError());
            failing = true;
        } else if (failing) {
            LOG.kafkaReachableAgain(bootstrapServers, interval());
            failing = false;
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
