package io.txprocessor.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The image (src/main/docker/Dockerfile.jvm), instruction by instruction: a copy broken one at a time (EXPOSE, a
 * shell-form ENTRYPOINT, STOPSIGNAL, a floating base image, a USER the pods do not run as) fails naming the
 * Dockerfile. Pid1SignalIT shows why the entry point's form matters; {@link DeployConsistencyTest} checks the file
 * as it is.
 */
class DeployDockerfileTest {

    static Stream<Breakage> breakages() {
        String dockerfile = DeployFiles.DOCKERFILE;
        return Stream.of(
                new Breakage("EXPOSE", dockerfile, "EXPOSE 8080", "EXPOSE 8081", "EXPOSE"),
                new Breakage("shell-form ENTRYPOINT", dockerfile,
                        "ENTRYPOINT [ \"/opt/jboss/container/java/run/run-java.sh\" ]",
                        "ENTRYPOINT /opt/jboss/container/java/run/run-java.sh", "ENTRYPOINT"),
                new Breakage("STOPSIGNAL", dockerfile, "STOPSIGNAL SIGTERM", "STOPSIGNAL SIGINT", "STOPSIGNAL"),
                new Breakage("floating base image", dockerfile, "openjdk-17-runtime:1.24", "openjdk-17-runtime:latest",
                        "FROM"),
                new Breakage("image user and pod user", dockerfile, "USER 185", "USER 1001", "runAsUser=185"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aDeliberatelyInconsistentCopyFailsNamingTheFileAndTheField(Breakage breakage, @TempDir Path copy)
            throws IOException {
        breakage.assertFoundIn(copy);
    }
}
