package io.txprocessor.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.txprocessor.testing.ServiceProcess;

/**
 * A setting out of its range ends the packaged service's start with one line naming the property, the value and
 * what is allowed, and a non-zero exit: no stack traces, and no attempt to reach Kafka first. No broker is needed:
 * the service is pointed at a port nothing listens on, which it must never get to.
 */
class BadSettingsIT {

    /** Quarkus prints this above the problems, one line each (see ApplicationLifecycleManager). */
    private static final String HEADER = "Configuration validation failed:";

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of("TRANSACTIONS_MAX_CONCURRENCY", "0", "transactions.max-concurrency", "at least 1"),
                Arguments.of("TRANSACTIONS_MAX_PENDING_RECORDS", "-5", "transactions.max-pending-records",
                        "at least 1"),
                Arguments.of("DRAIN_GRACE_PERIOD", "abc", "drain.grace-period", "allowed is a duration such as 30s"),
                Arguments.of("DRAIN_HAND_OFF_RESERVE", "40s", "drain.hand-off-reserve",
                        "must add up to less than drain.grace-period=30s"),
                Arguments.of("DRAIN_HAND_OFF_RESERVE", "soon", "drain.hand-off-reserve",
                        "allowed is auto or a duration such as 4s"),
                Arguments.of("DRAIN_HAND_OFF_RESERVE_MAX", "100ms", "drain.hand-off-reserve-max",
                        "must be at least 400ms, the floor of drain.hand-off-reserve=auto"),
                Arguments.of("DRAIN_EXIT_MARGIN", "-1s", "drain.exit-margin", "longer than 0s"),
                Arguments.of("DRAIN_EXIT_MARGIN", "30s", "drain.exit-margin",
                        "must add up to less than drain.grace-period=30s"),
                Arguments.of("DRAIN_REBALANCE_TIMEOUT", "0s", "drain.rebalance-timeout", "longer than 0s"),
                Arguments.of("HEALTH_POLLING_STALL_TIMEOUT", "0s", "health.polling-stall-timeout",
                        "longer than 0s"),
                Arguments.of("TRANSACTIONS_COMMIT_INTERVAL", "0s", "transactions.commit-interval", "longer than 0s"),
                Arguments.of("TRANSACTIONS_PUBLISH_TIMEOUT", "-3s", "transactions.publish-timeout",
                        "longer than 0s"),
                Arguments.of("TRANSACTIONS_PROCESSING_TIME", "-1ms", "transactions.processing-time", "0s or longer"),
                Arguments.of("TRANSACTIONS_MAX_PENDING_BYTES", "0", "transactions.max-pending-bytes", "at least 1"),
                Arguments.of("TRANSACTIONS_MAX_ID_LENGTH", "0", "transactions.max-id-length", "at least 1"),
                Arguments.of("TRANSACTIONS_ORDERING", "sideways", "transactions.ordering", "allowed values: "));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badSettings")
    void aBadValueEndsTheStartWithOneLineNamingThePropertyTheValueAndWhatIsAllowed(String variable, String value,
            String property, String allowed) {
        Map<String, String> env = Map.of(variable, value, "KAFKA_BOOTSTRAP_SERVERS", "localhost:1");
        List<String> output;
        int status;
        try (ServiceProcess service = ServiceProcess.start("bad-" + variable + "-" + value, env,
                List.of("java", "-jar"), false)) {
            status = service.awaitExit(Duration.ofSeconds(30));
            output = service.lines().stream()
                    .filter(line -> !line.isBlank() && !line.startsWith("Picked up JAVA_TOOL_OPTIONS"))
                    .toList();
        }
        String printed = String.join("\n", output);
        assertThat(status).as("exit status; the service printed:%n%s", printed).isNotZero();
        assertThat(output).as("everything the service printed").hasSizeLessThanOrEqualTo(2);
        List<String> problems = output.stream().filter(line -> !line.equals(HEADER)).toList();
        assertThat(problems).as("the problem lines; the service printed:%n%s", printed).hasSize(1);
        assertThat(problems.get(0)).contains(property).contains(value).contains(allowed);
    }
}
