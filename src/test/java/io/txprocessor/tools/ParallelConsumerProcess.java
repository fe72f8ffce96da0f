package io.txprocessor.tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's Parallel Consumer peer ({@code io.txprocessor.peer.ParallelConsumerPeer}, src/benchmark-peer) as a
 * process of its own: a JVM whose class path is target/peer-classes and target/peer-lib alone (Parallel Consumer
 * 0.5.3.3 on kafka-clients 3.9.1), both built by the benchmark profile, so that none of it meets the service's class
 * path or the harness's. Its output goes to {@code target/peer/<name>.log}.
 */
final class ParallelConsumerProcess implements AutoCloseable {

    private static final Path CLASSES = Path.of("target", "peer-classes").toAbsolutePath();
    private static final Path LIB = Path.of("target", "peer-lib").toAbsolutePath();

    private final String name;
    private final Process process;
    private final Path log;

    private ParallelConsumerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the peer with the service's JVM settings ({@code jvmOptions}), reading {@code input} in {@code group}
     * and publishing one state event per record to {@code states}, at most {@code concurrency} records at once,
     * each after {@code workMs} of simulated work.
     */
    static ParallelConsumerProcess start(String name, String jvmOptions, String bootstrapServers, String input,
            String states, String group, int concurrency, long workMs) throws IOException {
        if (!Files.isDirectory(CLASSES.resolve("io/txprocessor/peer")) || !Files.isDirectory(LIB)) {
            throw new IllegalStateException(CLASSES + " or " + LIB + " is missing: the benchmark profile builds them"
                    + " (./mvnw -B -Pbenchmark verify)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions.trim().split("\\s+")));
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add("-cp");
        // The launcher expands "dir/*" to the jars in it.
        command.add(CLASSES + File.pathSeparator + LIB + File.separator + "*");
        command.add("io.txprocessor.peer.ParallelConsumerPeer");
        command.addAll(List.of(bootstrapServers, input, states, group, Integer.toString(concurrency),
                Long.toString(workMs)));
        Path log = Path.of("target", "peer", name + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ParallelConsumerProcess(name, process, log);
    }

    long pid() {
        return process.pid();
    }

    /** Throws, naming its log, if the peer has exited: a wait on its output would otherwise run to its timeout. */
    void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with status " + process.exitValue() + ": see " + log);
        }
    }

    /** SIGTERM (the peer closes Parallel Consumer without draining), then SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
