package io.txprocessor.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Nothing of dev mode (the local broker's launcher, the sample-transactions endpoint) is in the packaged service:
 * every class of {@code io.txprocessor.dev} must be named in
 * {@code quarkus.package.jar.user-configured-ignored-entries}. A class added there and not to that list fails here.
 */
class DevModeNotPackagedIT {

    @Test
    void thePackagedApplicationHasNoDevModeClass() throws IOException {
        Path quarkusApp = Path.of(System.getProperty("service.jar", "target/quarkus-app/quarkus-run.jar")).getParent();
        List<String> devEntries = new ArrayList<>();
        try (Stream<Path> jars = Files.walk(quarkusApp)) {
            for (Path jar : jars.filter(path -> path.toString().endsWith(".jar")).toList()) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    file.stream().map(entry -> entry.getName())
                            .filter(name -> name.startsWith("io/txprocessor/dev/") && name.endsWith(".class"))
                            .forEach(name -> devEntries.add(jar.getFileName() + "!" + name));
                }
            }
        }

        assertThat(devEntries).as("dev-mode classes in %s", quarkusApp).isEmpty();
        assertThat(Path.of("target/classes/io/txprocessor/dev/DevKafkaConfig.class"))
                .as("compiled, so that the check above means something").exists();
    }
}
