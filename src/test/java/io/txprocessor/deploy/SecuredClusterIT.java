package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * The service against a broker that requires SASL (SCRAM-SHA-512 over SASL_PLAINTEXT), configured through
 * environment variables only, as a Secret or Secrets Manager would inject them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredClusterIT {

    private static final String USER = "processor";
    private static final String PASSWORD = "processor-secret";

    private KafkaBroker broker;

    @BeforeAll
    void startBroker() {
        broker = KafkaBroker.startLocalWithScram(USER, PASSWORD);
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void consumesAndDrainsOverScramWithCredentialsFromTheEnvironment() {
        Topics topics = new Topics(broker, "scram", 6);
        List<String> ids = topics.produceTransactions(300, 100);
        Map<String, String> env = scramEnv(topics, PASSWORD);
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        try (ServiceProcess service = ServiceProcess.start("scram", env)) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(service.shutdownReport()).isPresent();
        }
        var committed = topics.committed();
        topics.endOffsets().forEach((partition, end) -> assertThat(committed.get(partition).offset()).isEqualTo(end));
    }

    @Test
    void wrongCredentialsFailFastWithAClearError() {
        Topics topics = new Topics(broker, "scram-wrong", 6);
        long start = System.nanoTime();
        try (ServiceProcess service = ServiceProcess.start("scram-wrong", scramEnv(topics, "not-the-password"),
                List.of("java", "-jar"), false)) {
            int status = service.awaitExit(Duration.ofSeconds(60));
            assertThat(status).as("exit status").isNotZero();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(45));
            assertThat(service.lines()).anyMatch(line -> line.contains("Kafka refused this service's credentials"));
        }
    }

    private Map<String, String> scramEnv(Topics topics, String password) {
        Map<String, String> env = new HashMap<>(topics.serviceEnv());
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.saslBootstrapServers());
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT");
        env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + USER + "\" password=\"" + password + "\";");
        return env;
    }
}
