package io.txprocessor.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

/**
 * A real single-node Apache Kafka broker in KRaft mode, run as its own JVM from the Maven Central jars on the test
 * class path ({@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}). With
 * {@code KAFKA_BOOTSTRAP_SERVERS} set, nothing is started and that cluster is used instead.
 *
 * <p>
 * Ports are picked free at start; data lives in a temporary directory deleted on {@link #close()}, which also
 * stops the process (and is called by a shutdown hook if the caller forgets, so no broker outlives its run).
 */
public final class KafkaBroker implements AutoCloseable {

    /**
     * A file holding the class path of another broker line than the test class path's (the broker-versions profile
     * writes it from etc/kafka-broker/pom.xml): that broker's own kafka-clients cannot share a class path with ours.
     */
    public static final String CLASSPATH_PROPERTY = "kafka.broker.classpath";

    private static final Pattern BROKER_JAR = Pattern.compile("kafka_2\\.13-(\\d+)\\.(\\d+)\\.(\\d+)\\.jar");

    /** The broker line the tests run, read from its jar's name: 4 unless the broker-versions profile chose a 3.x. */
    private static final int BROKER_MAJOR = brokerMajor();

    private final String bootstrapServers;
    private volatile Process process;
    private final Path directory;
    private final Path properties;
    private final Thread reaper;
    private String saslBootstrapServers;

    private KafkaBroker(String bootstrapServers, Process process, Path directory, Path properties) {
        this.bootstrapServers = bootstrapServers;
        this.process = process;
        this.directory = directory;
        this.properties = properties;
        this.reaper = new Thread(this::stopProcess, "kafka-broker-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** The external cluster named by KAFKA_BOOTSTRAP_SERVERS, or a new local broker. */
    public static KafkaBroker start() {
        String external = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        if (external != null && !external.isBlank()) {
            return external(external);
        }
        return startLocal(Map.of());
    }

    /** A cluster someone else runs (a Testcontainers container, say): nothing to start, and close() stops nothing. */
    public static KafkaBroker external(String bootstrapServers) {
        return new KafkaBroker(bootstrapServers, null, null, null);
    }

    /** A new local broker; {@code extra} is added to (or overrides) its server.properties. */
    public static KafkaBroker startLocal(Map<String, String> extra) {
        return startLocal(extra, null);
    }

    /**
     * A new local broker with, besides its PLAINTEXT listener (used by the tests' own clients), a SASL_PLAINTEXT
     * listener that authenticates SCRAM-SHA-512 users; {@code user} / {@code password} is created at format time.
     * {@link #saslBootstrapServers()} names that listener.
     */
    public static KafkaBroker startLocalWithScram(String user, String password) {
        return startLocal(Map.of(), new String[]{user, password});
    }

    private static KafkaBroker startLocal(Map<String, String> extra, String[] scramUser) {
        try {
            Path directory = Files.createTempDirectory("kafka-broker-");
            int port = FreePorts.next();
            int controllerPort = FreePorts.next();
            int saslPort = scramUser == null ? -1 : FreePorts.next();
            Properties props = new Properties();
            props.put("process.roles", "broker,controller");
            props.put("node.id", "1");
            props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
            props.put("controller.listener.names", "CONTROLLER");
            props.put("inter.broker.listener.name", "PLAINTEXT");
            props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
            props.put("log.dirs", directory.resolve("data").toString());
            props.put("offsets.topic.replication.factor", "1");
            props.put("offsets.topic.num.partitions", "6");
            props.put("transaction.state.log.replication.factor", "1");
            props.put("transaction.state.log.min.isr", "1");
            props.put("group.initial.rebalance.delay.ms", "0");
            if (BROKER_MAJOR < 4) {
                // A 3.x broker (the broker-versions profile): the classic protocol only, KIP-848 was early access.
                props.putAll(extra);
                return startFormatted(directory, props, port, saslPort, scramUser);
            }
            // The new group protocol (KIP-848) with the session timeouts the tests use under the classic one: its
            // minimum (45 s by default) would hold a SIGKILLed member's partitions far longer than the drains allow.
            props.put("group.coordinator.rebalance.protocols", "classic,consumer");
            props.put("group.consumer.min.session.timeout.ms", "6000");
            props.put("group.consumer.session.timeout.ms", "10000");
            props.put("group.consumer.min.heartbeat.interval.ms", "1000");
            props.put("group.consumer.heartbeat.interval.ms", "3000");
            props.put("auto.create.topics.enable", "false");
            props.put("num.partitions", "6");
            if (scramUser != null) {
                props.put("listeners", props.get("listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
                props.put("advertised.listeners",
                        props.get("advertised.listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
                props.put("listener.security.protocol.map",
                        props.get("listener.security.protocol.map") + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
                props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
                props.put("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            }
            props.putAll(extra);
            return startFormatted(directory, props, port, saslPort, scramUser);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static KafkaBroker startFormatted(Path directory, Properties props, int port, int saslPort,
            String[] scramUser) {
        try {
            Path file = directory.resolve("server.properties");
            try (var out = Files.newBufferedWriter(file)) {
                props.store(out, "written by KafkaBroker");
            }
            List<String> formatArgs = scramUser == null
                    ? List.of()
                    : List.of("--add-scram",
                            "SCRAM-SHA-512=[name=" + scramUser[0] + ",password=" + scramUser[1] + "]");
            format(directory, file, formatArgs);
            Process process = launch(directory, file, "kafka.Kafka", file.toString());
            String bootstrap = "127.0.0.1:" + port;
            KafkaBroker broker = new KafkaBroker(bootstrap, process, directory, file);
            broker.saslBootstrapServers = scramUser == null ? null : "127.0.0.1:" + saslPort;
            broker.awaitReady(Duration.ofSeconds(90));
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void format(Path directory, Path file, List<String> extraArgs) throws IOException {
        byte[] uuid = ByteBuffer.allocate(16)
                .putLong(UUID.randomUUID().getMostSignificantBits())
                .putLong(UUID.randomUUID().getLeastSignificantBits())
                .array();
        // A leading '-' would read as an option to the tool: turn it into another base64url character.
        String clusterId = Base64.getUrlEncoder().withoutPadding().encodeToString(uuid).replaceFirst("^-", "A");
        List<String> args = new ArrayList<>(List.of("format", "-t", clusterId, "-c", file.toString()));
        args.addAll(extraArgs);
        Process format = launch(directory, file, "kafka.tools.StorageTool", args.toArray(String[]::new));
        try {
            if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException("kafka StorageTool format failed; see " + directory);
            }
        } catch (InterruptedException e) {
            format.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while formatting the broker's storage", e);
        }
    }

    private static Process launch(Path directory, Path file, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xms128m");
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        // The test class path carries JBoss LogManager; give the broker's logs somewhere to go.
        command.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        command.add("-cp");
        command.add(brokerClassPath());
        command.add(mainClass);
        command.addAll(List.of(args));
        String name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        return new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve(name + ".log").toFile())
                .start();
    }

    /**
     * The class path holding kafka_2.13 and its dependencies: the test class path under Surefire/Failsafe, the
     * exec plugin's class loader under {@code ./mvnw -Pdemo verify} (where java.class.path is Maven's own).
     */
    private static String brokerClassPath() {
        String file = System.getProperty(CLASSPATH_PROPERTY, "");
        if (!file.isBlank()) {
            try {
                return Files.readString(Path.of(file)).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the broker class path named by " + CLASSPATH_PROPERTY, e);
            }
        }
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader instanceof URLClassLoader urls && urls.getURLs().length > 1) {
            List<String> entries = new ArrayList<>();
            for (URL url : urls.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (URISyntaxException e) {
                    throw new IllegalStateException("unexpected class path entry " + url, e);
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    private static int brokerMajor() {
        Matcher jar = BROKER_JAR.matcher(brokerClassPath());
        if (!jar.find()) {
            throw new IllegalStateException("no kafka_2.13 jar on the broker's class path");
        }
        return Integer.parseInt(jar.group(1));
    }

    /** The version of the broker jars the tests start (the local broker's line), for test names and reports. */
    public static String brokerVersion() {
        Matcher jar = BROKER_JAR.matcher(brokerClassPath());
        return jar.find() ? jar.group(1) + "." + jar.group(2) + "." + jar.group(3) : "unknown";
    }

    /**
     * Whether the local broker serves the consumer group protocol (KIP-848, generally available from Kafka 4.0);
     * an external cluster is taken to.
     */
    public boolean servesConsumerProtocol() {
        return process == null || BROKER_MAJOR >= 4;
    }

    private void awaitReady(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < end) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException("the broker exited with " + process.exitValue() + "; see "
                        + directory.resolve("Kafka.log"));
            }
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
            }
        }
        close();
        throw new IllegalStateException("the broker did not come up within " + timeout, last);
    }

    /** Freezes the broker (SIGSTOP): connections stay open and nothing answers, as with a hung broker. */
    public void hang() {
        signal("STOP");
    }

    /** Thaws a broker frozen by {@link #hang()} (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    /** Stops the broker process and starts it again on the same ports and data, as a broker restart does. */
    public void restart() {
        requireLocal();
        stopProcess();
        try {
            process = launch(directory, properties, "kafka.Kafka", properties.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitReady(Duration.ofSeconds(90));
    }

    private void signal(String name) {
        requireLocal();
        Signals.send(process.pid(), name, "the broker");
    }

    private void requireLocal() {
        if (process == null && directory == null) {
            throw new IllegalStateException(
                    "this test needs a local broker it can stop; unset KAFKA_BOOTSTRAP_SERVERS");
        }
    }

    /** The SASL_PLAINTEXT (SCRAM-SHA-512) listener of a broker from {@link #startLocalWithScram}. */
    public String saslBootstrapServers() {
        if (saslBootstrapServers == null) {
            throw new IllegalStateException("this broker has no SASL listener");
        }
        return saslBootstrapServers;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
    }

    /**
     * Creates the topic and returns once the broker serves every partition of it. The broker publishes a new topic
     * in its metadata before it has created the partitions' logs; an idempotent producer writing in that window can
     * have its first batch refused (NOT_LEADER_OR_FOLLOWER, retried) while a later one in flight is accepted, after
     * which the first is refused as out of order until it expires (KAFKA-15591, fixed in Kafka 4.5): records
     * missing, or a flush that hangs. Listing the partitions' offsets goes to the logs themselves, and the admin
     * client retries it until each one is there.
     */
    public void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int partition = 0; partition < partitions; partition++) {
                latest.put(new TopicPartition(name, partition), OffsetSpec.latest());
            }
            // The admin client retries a partition without its log, not a topic its metadata does not know yet
            // (UnknownTopicOrPartitionException, a retriable error): asked again until both are there.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Waits.pause(Duration.ofMillis(50));
                }
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("could not create topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stopProcess();
        ProcessTools.removeShutdownHook(reaper);
        if (directory != null) {
            ProcessTools.deleteRecursively(directory);
        }
    }

    private void stopProcess() {
        if (process == null || !process.isAlive()) {
            return;
        }
        signalQuietly("CONT"); // a frozen broker cannot act on SIGTERM
        ProcessTools.stop(process);
    }

    private void signalQuietly(String name) {
        Signals.sendQuietly(process.pid(), name);
    }
}
