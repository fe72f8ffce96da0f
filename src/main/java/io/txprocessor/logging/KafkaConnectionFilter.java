package io.txprocessor.logging;

import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.jboss.logmanager.ExtLogRecord;

import io.quarkus.logging.LoggingFilter;

/**
 * Holds back the warnings of the Kafka clients' network layer ({@code NetworkClient}: "Connection to node -1 ...
 * could not be established", "Bootstrap broker ... disconnected", failed metadata requests), which come once per
 * attempt, several a second per client, while a broker cannot be reached. {@link UnreachableBrokerReport} sums them
 * up in one line per interval. Installed on the console handler ({@code quarkus.log.console.filter}).
 */
@LoggingFilter(name = KafkaConnectionFilter.NAME)
public final class KafkaConnectionFilter implements Filter {

    /** The name {@code quarkus.log.console.filter} refers to. */
    public static final String NAME = "kafka-connection-warnings";
    static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";

    private final ConnectionFailures failures;

    /** The filter Quarkus' logging set-up creates: it counts for {@link UnreachableBrokerReport}. */
    public KafkaConnectionFilter() {
        this(ConnectionFailures.INSTANCE);
    }

    /** Counting somewhere else: a test's own counts, untouched by the Kafka clients of the JVM. */
    KafkaConnectionFilter(ConnectionFailures failures) {
        this.failures = failures;
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (!NETWORK_CLIENT.equals(record.getLoggerName())
                || record.getLevel().intValue() != Level.WARNING.intValue()) {
            return true;
        }
        failures.add(
                record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
        return false;
    }
}
