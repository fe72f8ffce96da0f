package io.txprocessor.logging;

/**
 * The Kafka clients' connection warnings held back by {@link KafkaConnectionFilter} since the last report: how many,
 * and the last one. One shared {@link #INSTANCE} per JVM, because the logging filter is created by Quarkus' logging set-up, before and
 * outside CDI, and {@link UnreachableBrokerReport} (a bean) must read what it counted.
 *
 * <p>
 * Thread-safe: the Kafka clients' network threads add, the report's timer thread takes.
 */
final class ConnectionFailures {

    static final ConnectionFailures INSTANCE = new ConnectionFailures();

    /** What happened since the previous {@link #take()}. */
    record Since(int attempts, String lastError) {
    }

    private int attempts;
    private String lastError;

    ConnectionFailures() {
    }

    synchronized void add(String warning) {
        attempts++;
        lastError = warning;
    }

    /** The failures since the previous call, and starts counting again. */
    synchronized Since take() {
        Since since = new Since(attempts, lastError);
        attempts = 0;
        lastError = null;
        return since;
    }
}
