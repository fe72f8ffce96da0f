package io.txprocessor.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.txprocessor.testing.FreePorts;
import io.txprocessor.testing.ServiceProcess;

/**
 * Issue 21 part 5: a SIGTERM 5 s into a start whose broker does not answer (a free local port nobody listens on).
 * Nothing is in flight, so the process must go promptly, inside any grace period, with status 0; the Kafka access
 * check must not hold the start, and the signal, hostage.
 */
class StopWithBrokerUnreachableIT {

    private static final Duration BOUND = Duration.ofSeconds(3);

    @Test
    void sigtermFiveSecondsIntoAStartWithTheBrokerUnreachableExitsPromptlyWithStatusZero() {
        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + FreePorts.next(),
                "TRANSACTIONS_TOPIC", "unreachable-in", "TRANSACTIONS_STATES_TOPIC", "unreachable-states",
                "TRANSACTIONS_DEAD_LETTER_TOPIC", "unreachable-dlq", "TRANSACTIONS_GROUP_ID", "unreachable");
        try (ServiceProcess service = ServiceProcess.start("unreachable-start", env, List.of("java", "-jar"),
                false)) {
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).until(() -> service.logged(line -> line.contains("SRMSG18229")));
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> System.nanoTime() - started >= Duration.ofSeconds(5).toNanos());
            service.sigterm();
            int status = service.awaitExit(Duration.ofSeconds(30));
            Duration took = service.sigtermToExit();
            System.out.printf("SIGTERM 5 s into the start, broker unreachable: exit %d after %d ms%n", status,
                    took.toMillis());
            assertThat(took).as("SIGTERM to exit").isLessThanOrEqualTo(BOUND);
            assertThat(status).as("exit status, nothing in flight").isZero();
            assertThat(service.lines()).noneMatch(line -> line.contains("Failed to start application"));
        }
    }
}
