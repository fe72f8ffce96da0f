package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The Kubernetes checks on a StatefulSet, which only overlays/exactly-once's rendering has (see
 * {@link DeployExactlyOnceOverlayTest}); here without kubectl, on the base's Deployment turned into a StatefulSet as
 * the overlay turns it.
 */
class DeployStatefulSetTest {

    /**
     * A StatefulSet (overlays/exactly-once, where only the rendered output has one) gets the Deployment's checks,
     * and its serviceName must name a Service that selects its pods. Shown without kubectl: the base's Deployment,
     * turned into a StatefulSet as the overlay turns it, passes; each field broken is named.
     */
    @Test
    void theBaseAsAStatefulSetIsConsistent(@TempDir Path copy) throws IOException {
        DeployFiles.copyTo(copy);
        DeployFiles.writeAsStatefulSet(copy, statefulSet -> {
        });
        assertThat(Checks.run(copy)).isEmpty();
    }

    static Stream<Arguments> statefulSetBreakages() {
        String container = "/spec/template/spec/containers/0";
        return Stream.of(
                Arguments.of("grace period longer than the drain's",
                        "/spec/template/spec/terminationGracePeriodSeconds",
                        60, "terminationGracePeriodSeconds=60"),
                Arguments.of("readiness path", container + "/readinessProbe/httpGet/path", "/health/ready",
                        "readinessProbe.httpGet.path=/health/ready"),
                Arguments.of("container port", container + "/ports/0/containerPort", 9090, "containerPort=9090"),
                Arguments.of("pod user", "/spec/template/spec/securityContext/runAsUser", 1001, "runAsUser=1001"),
                Arguments.of("no serviceName", "/spec/serviceName", null, "spec.serviceName: missing"),
                Arguments.of("serviceName of no Service", "/spec/serviceName", "transaction-processor-headless",
                        "serviceName=transaction-processor-headless: no Service"),
                Arguments.of("pods the governing Service does not select",
                        "/spec/template/metadata/labels/app.kubernetes.io~1name", "transaction-processor-eos",
                        "does not select this StatefulSet's pods"));
    }

    @ParameterizedTest(name = "StatefulSet: {0}")
    @MethodSource("statefulSetBreakages")
    void aStatefulSetIsCheckedAsTheDeploymentIs(String breakage, String pointer, Object value, String expected,
            @TempDir Path copy) throws IOException {
        DeployFiles.copyTo(copy);
        JsonPointer field = JsonPointer.compile(pointer);
        DeployFiles.writeAsStatefulSet(copy, statefulSet -> {
            ObjectNode parent = (ObjectNode) statefulSet.at(field.head());
            if (value == null) {
                parent.remove(field.last().getMatchingProperty());
            } else {
                parent.set(field.last().getMatchingProperty(), DeployFiles.YAML.valueToTree(value));
            }
        });

        List<String> problems = Checks.run(copy);
        assertThat(problems).as("problems found after breaking the StatefulSet (%s)", breakage)
                .anySatisfy(problem -> assertThat(problem)
                        .contains(DeployFiles.DEPLOYMENT + " StatefulSet/transaction-processor")
                        .contains(expected));
    }
}
