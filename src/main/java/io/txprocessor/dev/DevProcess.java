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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A helper process of dev mode (the local Kafka broker, the local PostgreSQL server): a {@code main} of the test
 * sources ({@code io.txprocessor.testing}) run as its own JVM from the test class path, so that nothing of it is in
 * the service's jar. It answers on standard output with one line starting with a known prefix and runs until its
 * standard input closes: when dev mode stops (a shutdown hook closes it) or dies (the operating system does).
 *
 * <p>
 * Threads: the thread that starts it waits for the answer; a daemon thread reads the rest of the output into the
 * debug log.
 */
final class DevProcess {

    /** Written by the maven-dependency-plugin step that quarkus:dev runs (see pom.xml): the test class path. */
    private static final Path CLASS_PATH = Path.of("target", "dev-kafka.classpath");

    private final Process process;
    private final String name;

    private DevProcess(Process process, String name) {
        this.process = process;
        this.name = name;
    }

    /**
     * Starts {@code main} with {@code args} and {@code env} added to this JVM's environment, its standard error
     * appended to {@code logFile}, and waits at most {@code timeout} for its first line starting with one of
     * {@code prefixes}.
     *
     * @return the line, the process to stop later beside it
     */
    static Answer start(String name, String main, List<String> args, Map<String, String> env, Path logFile,
            List<String> prefixes, Duration timeout) {
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
                    main));
            command.addAll(args);
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(Redirect.appendTo(logFile.toFile()));
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the " + name, e);
        }
        DevProcess started = new DevProcess(process, name);
        CompletableFuture<String> answer = new CompletableFuture<>();
        Thread reader = new Thread(() -> started.readOutput(prefixes, answer), name + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new Answer(answer.get(timeout.toSeconds(), TimeUnit.SECONDS), started);
        } catch (InterruptedException e) {
            process.destroy(); // SIGTERM: the helper's shutdown hook stops what it started
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the " + name, e);
        } catch (ExecutionException | TimeoutException e) {
            process.destroy(); // SIGTERM: the helper's shutdown hook stops what it started
            throw new IllegalStateException("the " + name + " did not start within " + timeout + "; see "
                    + logFile.toAbsolutePath(), e);
        }
    }

    /** Completes {@code answer} with the first line of a prefix, then passes the rest of the output to the log. */
    private void readOutput(List<String> prefixes, CompletableFuture<String> answer) {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                String current = line;
                if (!answer.isDone() && prefixes.stream().anyMatch(current::startsWith)) {
                    answer.complete(current);
                } else {
                    DevLog.of(DevProcess.class).debugf("%s: %s", name, current);
                }
            }
            answer.completeExceptionally(new IllegalStateException("the " + name + " exited"));
        } catch (IOException e) {
            answer.completeExceptionally(e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Stops it when this JVM stops. The hook holds the process, and with it the pipe whose end stops it. */
    void stopAtExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop, name + "-stop"));
    }

    /** Closing its standard input tells it to stop what it started and delete its data; waits for that. */
    void stop() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroy(); // SIGTERM: its shutdown hook stops what it started
            }
        } catch (IOException e) {
            process.destroy(); // SIGTERM: its shutdown hook stops what it started
        } catch (InterruptedException e) {
            process.destroy(); // SIGTERM: its shutdown hook stops what it started
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The helper's answer.
     *
     * @param line its first line that starts with one of the prefixes asked for
     * @param process the helper, still running unless the line said it gave up
     */
    record Answer(String line, DevProcess process) {
    }
}
