package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * The benchmark's plain SmallRye baseline (src/benchmark, built by {@code -Pbenchmark} only) is not in the
 * packaged service, and a start says nothing about it (its channels once made every start log them as disabled),
 * even when the build before was a benchmark build without a clean in between (see drop-benchmark-outputs in
 * pom.xml). Nor is its Parallel Consumer peer (src/benchmark-peer, target/peer-classes and target/peer-lib): no class
 * of it or of Parallel Consumer, and no jar of the peer's class path, in any jar of the packaged application.
 */
@ExtendWith(SharedBroker.class)
class NothingOfTheBenchmarkShipsIT {

    @Test
    void thePackagedApplicationHoldsNoBaselineClassAndNoBaselineChannelConfiguration() throws IOException {
        Path app = ServiceProcess.jar().getParent().resolve("app");
        List<Path> jars = jars(app, 1);
        assertThat(jars).as("the application's jar under %s", app).isNotEmpty();
        for (Path jar : jars) {
            assertThat(entries(jar)).as("entries of %s", jar)
                    .noneMatch(name -> name.startsWith("io/txprocessor/baseline"))
                    .noneMatch(name -> name.equals("META-INF/microprofile-config.properties"));
        }
    }

    @Test
    void thePackagedApplicationHoldsNothingOfTheParallelConsumerPeer() throws IOException {
        Path application = ServiceProcess.jar().getParent();
        List<Path> jars = jars(application, Integer.MAX_VALUE);
        assertThat(jars).as("the jars under %s", application).isNotEmpty()
                .noneMatch(jar -> jar.getFileName().toString().contains("parallel-consumer"))
                // The service's kafka-clients is 4.x; the peer's 3.9.1 is its own.
                .noneMatch(jar -> jar.getFileName().toString().contains("kafka-clients-3."));
        for (Path jar : jars) {
            assertThat(entries(jar)).as("entries of %s", jar)
                    .noneMatch(name -> name.startsWith("io/txprocessor/peer"))
                    .noneMatch(name -> name.startsWith("io/confluent/parallelconsumer"));
        }
    }

    /** The jars in {@code directory}, down to {@code depth} levels (1: its own files). */
    private static List<Path> jars(Path directory, int depth) throws IOException {
        try (Stream<Path> files = Files.walk(directory, depth)) {
            return files.filter(file -> file.toString().endsWith(".jar")).toList();
        }
    }

    private static List<String> entries(Path jar) {
        try (JarFile contents = new JarFile(jar.toFile())) {
            return contents.stream().map(ZipEntry::getName).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStartToReadinessPrintsNothingAboutTheBaseline(KafkaBroker broker) {
        Topics topics = new Topics(broker, "quiet-start", 1);
        try (ServiceProcess service = ServiceProcess.start("quiet-start", topics.serviceEnv())) {
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(service.lines()).as("what the service printed").isNotEmpty()
                    .noneMatch(line -> line.toLowerCase(Locale.ROOT).contains("baseline"));
        }
    }
}
