package io.txprocessor.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) run as its own process, the way a container
 * runs it: configured by environment variables, stopped by real signals ({@link #sigterm()} sends SIGTERM,
 * {@link #sigkill()} SIGKILL). Its output is kept in memory and copied to a log file under {@code target/}.
 * {@link #close()} kills it if it still runs, so a failing test leaves nothing behind.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ASSIGNED = Pattern.compile("RebalanceDrain.*assigned \\[(.*)]");

    private final String name;
    private final Process process;
    private final String httpHost;
    private final int httpPort;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread pump;
    private volatile long sigtermNanos;
    private final java.util.concurrent.CompletableFuture<Long> exitNanos;

    private ServiceProcess(String name, Process process, String httpHost, int httpPort, Path logFile) {
        this.name = name;
        this.process = process;
        this.httpHost = httpHost;
        this.httpPort = httpPort;
        this.pump = new Thread(() -> pump(logFile), "service-output-" + name);
        this.pump.setDaemon(true);
        this.pump.start();
        this.exitNanos = process.onExit().thenApply(p -> System.nanoTime());
    }

    /** Where the packaged service is; failsafe passes it, and it is also found from the working directory. */
    public static Path jar() {
        String configured = System.getProperty("service.jar");
        Path jar = configured != null ? Path.of(configured) : Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " does not exist: run ./mvnw package first");
        }
        return jar;
    }

    /** Starts the service with the given environment (on top of a free HTTP port) and waits until it is ready. */
    public static ServiceProcess start(String name, Map<String, String> env) {
        return start(name, env, List.of("java", "-jar"), true);
    }

    /**
     * Starts the service with {@code launcher} before the jar path, e.g. {@code [java, -jar]}, or a PID-namespace
     * wrapper.
     */
    public static ServiceProcess start(String name, Map<String, String> env, List<String> launcher,
            boolean awaitReady) {
        return start(name, env, launcher, "127.0.0.1", awaitReady);
    }

    /**
     * As {@link #start(String, Map, List, boolean)}, for a service whose HTTP port is reached at {@code httpHost}
     * rather than the loopback address: one in a network namespace of its own ({@code testing.netlab.NetLab}).
     */
    public static ServiceProcess start(String name, Map<String, String> env, List<String> launcher, String httpHost,
            boolean awaitReady) {
        int port = FreePorts.next();
        List<String> command = new ArrayList<>();
        for (String part : launcher) {
            command.add(part.equals("java")
                    ? Path.of(System.getProperty("java.home"), "bin", "java").toString()
                    : part);
        }
        command.add(jar().toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> environment = new HashMap<>(env);
        environment.putIfAbsent("QUARKUS_HTTP_PORT", Integer.toString(port));
        environment.putIfAbsent("JAVA_TOOL_OPTIONS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        builder.environment().putAll(environment);
        try {
            Path logs = Path.of("target", "service-logs");
            Files.createDirectories(logs);
            Process process = builder.start();
            ServiceProcess service = new ServiceProcess(name, process, httpHost,
                    Integer.parseInt(environment.get("QUARKUS_HTTP_PORT")), logs.resolve(name + ".log"));
            if (awaitReady) {
                try {
                    service.awaitHealth("/q/health/ready", 200, Duration.ofSeconds(90));
                } catch (RuntimeException | AssertionError e) {
                    service.close(); // the caller never gets it, so it must not outlive this call
                    throw e;
                }
            }
            return service;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pump(Path logFile) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile), true)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
                log.println(line);
            }
        } catch (IOException e) {
            // the process went away; what was read is kept
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, as docker stop, ECS StopTask and a pod deletion send it. */
    public void sigterm() {
        sigtermNanos = System.nanoTime();
        // Not process.destroy(): it also closes our end of the child's stdout, and the child's last words (the
        // drain report) would be lost.
        process.toHandle().destroy();
    }

    /** SIGKILL: what the platform sends when the grace period is over, or the OOM killer. */
    public void sigkill() {
        process.toHandle().destroyForcibly();
    }

    /**
     * SIGSTOP: the process freezes at once, all its threads (heartbeats included) and its connections stay open, as in
     * a long GC pause or a frozen VM. Pair it with {@link #sigcont()} in a finally block; {@link #close()} kills a
     * stopped process all the same.
     */
    public void sigstop() {
        signal("STOP");
    }

    /** SIGCONT: thaws a process frozen by {@link #sigstop()}. */
    public void sigcont() {
        signal("CONT");
    }

    private void signal(String signal) {
        Signals.send(process.pid(), signal, name);
    }

    /** Waits for the process to exit and returns its status. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit within " + timeout);
            }
            exitNanos.join();
            pump.join(5000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Time from {@link #sigterm()} to the exit; call after {@link #awaitExit(Duration)}. */
    public Duration sigtermToExit() {
        return Duration.ofNanos(exitNanos.join() - sigtermNanos);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * The partitions the service logged as assigned to it in {@code lines} (revocations are not subtracted), from
     * RebalanceDrain's "assigned [...]" lines.
     */
    public static Set<String> assignedPartitions(List<String> lines) {
        Set<String> partitions = new HashSet<>();
        for (String line : lines) {
            Matcher matcher = ASSIGNED.matcher(line);
            if (matcher.find()) {
                partitions.addAll(Arrays.asList(matcher.group(1).split(",\\s*")));
            }
        }
        return partitions;
    }

    public boolean logged(Predicate<String> line) {
        return lines.stream().anyMatch(line);
    }

    /** The JSON drain reports this process logged, shutdown and rebalance. */
    public List<JsonNode> drainReports() {
        List<JsonNode> reports = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("{\"event\":\"drain-report\"")) {
                reports.add(parse(line));
            }
        }
        return reports;
    }

    public Optional<JsonNode> shutdownReport() {
        return drainReports().stream().filter(r -> "shutdown".equals(r.path("trigger").asText())).findFirst();
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    /** GET on the service; returns the status, or -1 if it did not answer. */
    public int httpStatus(String path) {
        return get(path).map(HttpResponse::statusCode).orElse(-1);
    }

    public Optional<HttpResponse<String>> get(String path) {
        return Http.get(httpHost, httpPort, path, Duration.ofSeconds(5));
    }

    /** The value of one Prometheus sample from /q/metrics, e.g. {@code transactions_in_flight}. */
    public Optional<Double> metric(String sample) {
        return get("/q/metrics").flatMap(response -> response.body().lines()
                .filter(line -> line.startsWith(sample + " ") || line.startsWith(sample + "{"))
                .filter(line -> !sample.contains("{") || line.startsWith(sample))
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst());
    }

    public void awaitHealth(String path, int status, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + " before " + path
                        + " answered " + status + "; output:\n" + String.join("\n", lines));
            }
            if (httpStatus(path) == status) {
                return;
            }
            Waits.pause(Duration.ofMillis(100));
        }
        throw new AssertionError(name + ": " + path + " did not answer " + status + " within " + timeout);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
