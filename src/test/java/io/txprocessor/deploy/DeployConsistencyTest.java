package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.txprocessor.drain.DrainConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The numbers that must agree between the service and the places it is deployed from: the platform's time from
 * SIGTERM to SIGKILL (Kubernetes' terminationGracePeriodSeconds less any preStop, ECS's stopTimeout) and
 * DRAIN_GRACE_PERIOD wherever it is set; the hand-off reserve and the exit margin; the HTTP port (container port,
 * probe ports, Service and monitor ports, QUARKUS_HTTP_PORT, EXPOSE); the health and metrics paths; the Kafka
 * names the autoscaler reads; the image's user, stop signal and entry point form; a StatefulSet's governing
 * Service; exactly once, no transactional.id shared by every instance and a transaction timeout inside its
 * bounds. The service's side comes from its own sources ({@link ServiceSide}): {@link DrainConfig}'s and
 * {@link TransactionsConfig}'s {@code @WithDefault}s, application.properties, and Quarkus' defaults for what
 * neither sets.
 *
 * <p>
 * This class checks the repository's files as written (every YAML file under deploy/kubernetes, deploy/ecs/*.json,
 * src/main/docker/Dockerfile.jvm, application.properties), and that a copy of the service's side broken fails. The
 * other checks, each shown able to fail on a copy broken one field at a time: {@link DeployKubernetesTest},
 * {@link DeployStatefulSetTest}, {@link DeployEcsTest}, {@link DeployDockerfileTest}; on what
 * {@code kubectl kustomize} renders, {@link DeployKustomizeTest} and {@link DeployExactlyOnceOverlayTest}. Run them
 * all with {@code -Dtest='Deploy*Test'}.
 */
class DeployConsistencyTest {

    @Test
    void theDeploymentDescriptorsAgreeWithTheServiceAndWithEachOther() {
        assertThat(DeployFiles.ROOT.resolve("deploy")).as("deploy/ under the working directory %s", DeployFiles.ROOT)
                .isDirectory();
        List<String> problems = Checks.run(DeployFiles.ROOT);
        assertThat(problems).as("deployment descriptors that disagree:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void anUnchangedCopyIsConsistent(@TempDir Path copy) {
        DeployFiles.copyTo(copy);
        assertThat(Checks.run(copy)).isEmpty();
    }

    /** application.properties setting what the places set: it must then agree with them. */
    static Stream<Breakage> breakages() {
        String properties = DeployFiles.PROPERTIES;
        return Stream.of(
                new Breakage("grace period in application.properties", properties, "",
                        "\ndrain.grace-period=45s\n", "drain.grace-period=45s"),
                new Breakage("HTTP port in application.properties", properties, "", "\nquarkus.http.port=9090\n",
                        "quarkus.http.port=9090"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aDeliberatelyInconsistentCopyFailsNamingTheFileAndTheField(Breakage breakage, @TempDir Path copy)
            throws IOException {
        breakage.assertFoundIn(copy);
    }
}
