package io.txprocessor.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Where dev mode finds Kafka. In order: {@code kafka.bootstrap.servers} when something set it (the environment's
 * {@code KAFKA_BOOTSTRAP_SERVERS}, or Quarkus' Kafka Dev Services, which start a container when a Docker engine
 * answers); otherwise a local Apache Kafka broker (KRaft), started here as its own JVM ({@link DevProcess}) from the broker
 * jars the tests use ({@code io.txprocessor.testing.DevKafka}), on free ports, with the service's topics.
 *
 * <p>
 * It replaces Quarkus' {@code default-kafka-broker} configuration map (a {@code @DefaultBean}), which the connector,
 * the state publisher and the Kafka client metrics read, and builds it the same way: every {@code kafka.*}
 * property without its prefix. The local broker outlives live reloads (they restart the application, not the JVM:
 * a system property remembers it) and stops when dev mode stops: a shutdown hook closes its standard input, and so
 * does the operating system if the dev JVM dies.
 */
@IfBuildProfile("dev")
@Singleton
public class DevKafkaConfig {

    private static final DevLog LOG = DevLog.of(DevKafkaConfig.class);
    /** Set on the JVM while the local broker runs: its wrapper's pid and its bootstrap servers. */
    private static final String RUNNING = "txprocessor.dev-kafka";
    private static final Path LOG_FILE = Path.of("target", "dev-kafka.log");
    private static final String MAIN = "io.txprocessor.testing.DevKafka";
    /** The same prefix as DevKafka.READY, which main code cannot see. */
    private static final String READY = "dev-kafka ready at ";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

    @Produces
    @Singleton
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig(Config config, TransactionsConfig transactions) {
        Map<String, Object> kafka = new HashMap<>();
        for (String name : config.getPropertyNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("kafka") && lower.length() > 6 && !lower.startsWith("kafka.ui")) {
                config.getOptionalValue(name, String.class)
                        .ifPresent(value -> kafka.put(lower.substring(6).replace('_', '.'), value));
            }
        }
        Object configured = kafka.get("bootstrap.servers");
        if (configured != null) {
            LOG.configuredKafka(configured);
        } else {
            kafka.put("bootstrap.servers", localBroker(transactions));
        }
        return kafka;
    }

    /** The running local broker, or a new one. Runs once per application start, on the thread that starts it. */
    private static String localBroker(TransactionsConfig transactions) {
        String running = System.getProperty(RUNNING);
        if (running != null) {
            String[] pidAndServers = running.split(" ", 2);
            if (ProcessHandle.of(Long.parseLong(pidAndServers[0])).map(ProcessHandle::isAlive).orElse(false)) {
                LOG.runningLocalBroker(pidAndServers[1]);
                return pidAndServers[1];
            }
        }
        LOG.startingLocalBroker(LOG_FILE);
        String servers = start(transactions);
        LOG.localBrokerStarted(servers);
        return servers;
    }

    private static String start(TransactionsConfig transactions) {
        DevProcess.Answer answer = DevProcess.start("local dev broker", MAIN,
                List.of(transactions.input().topic() + ":6", transactions.output().statesTopic() + ":3",
                        transactions.output().deadLetterTopic() + ":1"),
                Map.of(), LOG_FILE, List.of(READY), START_TIMEOUT);
        String servers = answer.line().substring(READY.length()).trim();
        answer.process().stopAtExit();
        System.setProperty(RUNNING, answer.process().pid() + " " + servers);
        return servers;
    }
}
