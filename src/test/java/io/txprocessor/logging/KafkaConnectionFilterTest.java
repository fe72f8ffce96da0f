package io.txprocessor.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Level;
import org.junit.jupiter.api.Test;

class KafkaConnectionFilterTest {

    private final ConnectionFailures failures = new ConnectionFailures();
    private final KafkaConnectionFilter filter = new KafkaConnectionFilter(failures);

    @Test
    void networkClientWarningsAreHeldBackCountedAndTheLastOneKept() {
        for (int attempt = 1; attempt <= 39; attempt++) {
            assertThat(filter.isLoggable(record(KafkaConnectionFilter.NETWORK_CLIENT, Level.WARN,
                    "Connection to node -1 (/127.0.0.1:9092) could not be established. Attempt " + attempt)))
                    .isFalse();
        }

        ConnectionFailures.Since since = failures.take();

        assertThat(since.attempts()).isEqualTo(39);
        assertThat(since.lastError()).endsWith("Attempt 39");
        assertThat(failures.take().attempts()).isZero();
    }

    @Test
    void otherLoggersAndOtherLevelsPassThrough() {
        assertThat(filter.isLoggable(record("org.apache.kafka.clients.consumer.ConsumerConfig", Level.WARN, "x")))
                .isTrue();
        assertThat(filter.isLoggable(record(KafkaConnectionFilter.NETWORK_CLIENT, Level.ERROR, "x"))).isTrue();
        assertThat(filter.isLoggable(record(KafkaConnectionFilter.NETWORK_CLIENT, Level.INFO, "x"))).isTrue();
        assertThat(failures.take().attempts()).isZero();
    }

    private static ExtLogRecord record(String logger, java.util.logging.Level level, String message) {
        ExtLogRecord record = new ExtLogRecord(level, message, ExtLogRecord.FormatStyle.NO_FORMAT,
                KafkaConnectionFilterTest.class.getName());
        record.setLoggerName(logger);
        return record;
    }
}
