package io.txprocessor.dev;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.Config;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Where dev mode finds Kafka. In order: {@code kafka.bootstrap.servers} when something set it (the environment's
 * {@code KAFKA_BOOTSTRAP_SERVERS}, or Quarkus' Kafka Dev Services, which start a container when a Docker engine
 * answers); otherwise a local Apache Kafka broker (KRaft), started here as its own JVM from the broker jars the
 * tests use ({@code io.txprocessor.testing.DevKafka}), on free ports, with the service's topics.
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
    /** Written by the maven-dependency-plugin step that quarkus:dev runs (see pom.xml). */
    private static final Path CLASS_PATH = Path.of("target", "dev-kafka.classpath");
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
        Process process;
        try {
            if (!Files.isRegularFile(CLASS_PATH)) {
                throw new IllegalStateException("no " + CLASS_PATH.toAbsolutePath() + ": start dev mode with "
                        + "./mvnw quarkus:dev in the project directory (its generate-test-resources step writes it)");
            }
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-cp",
                    Path.of("target", "test-classes") + File.pathSeparator + Files.readString(CLASS_PATH).trim(),
                    MAIN));
            command.add(transactions.input().topic() + ":6");
            command.add(transactions.output().statesTopic() + ":3");
            command.add(transactions.output().deadLetterTopic() + ":1");
            process = new ProcessBuilder(command).redirectError(Redirect.appendTo(LOG_FILE.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the local dev broker", e);
        }
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> readOutput(process, ready), "dev-kafka-output");
        reader.setDaemon(true);
        reader.start();
        try {
            String servers = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            // The hook holds the Process, and with it the pipe whose end tells the broker to stop: keep it.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process), "dev-kafka-stop"));
            System.setProperty(RUNNING, process.pid() + " " + servers);
            return servers;
        } catch (InterruptedException e) {
            process.destroy(); // SIGTERM: the wrapper's shutdown hook stops the broker too
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the local dev broker", e);
        } catch (ExecutionException | TimeoutException e) {
            process.destroy(); // SIGTERM: the wrapper's shutdown hook stops the broker too
            throw new IllegalStateException("the local dev broker did not start within " + START_TIMEOUT + "; see "
                    + LOG_FILE.toAbsolutePath() + " and the Kafka.log it names", e);
        }
    }

    /** Completes {@code ready} with the bootstrap servers, then passes the rest of the output on to the log. */
    private static void readOutput(Process process, CompletableFuture<String> ready) {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith(READY)) {
                    ready.complete(line.substring(READY.length()).trim());
                } else {
                    LOG.debugf("dev-kafka: %s", line);
                }
            }
            ready.completeExceptionally(new IllegalStateException("the dev broker exited"));
        } catch (IOException e) {
            ready.completeExceptionally(e);
        }
    }

    /** Closing its standard input tells the wrapper to stop the broker and delete its data. */
    private static void stop(Process process) {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroy(); // SIGTERM: the wrapper's shutdown hook stops the broker too
            }
        } catch (IOException e) {
            process.destroy(); // SIGTERM: the wrapper's shutdown hook stops the broker too
        } catch (InterruptedException e) {
            process.destroy(); // SIGTERM: the wrapper's shutdown hook stops the broker too
            Thread.currentThread().interrupt();
        }
    }
}
