package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/kubernetes as written, field by field: a copy broken one field at a time (the grace period, a preStop,
 * the ConfigMap's drain settings and port, container and probe ports and paths, the Service's, the
 * ServiceMonitor's and KEDA's references, a kustomization's files, exactly once's transactional.id and timeout)
 * fails naming that file and field. {@link DeployConsistencyTest} checks the files as they are.
 */
class DeployKubernetesTest {

    /** Kubernetes' own sleep action (1.30+), 5 s before SIGTERM. */
    private static final String PRE_STOP_SLEEP_ACTION = "          lifecycle:\n            preStop:\n"
            + "              sleep:\n                seconds: 5\n";

    static Stream<Breakage> breakages() {
        String deployment = DeployFiles.DEPLOYMENT;
        String configMap = "deploy/kubernetes/base/configmap.yaml";
        String service = "deploy/kubernetes/base/service.yaml";
        String monitor = "deploy/kubernetes/components/monitoring/servicemonitor.yaml";
        String scaledObject = DeployFiles.SCALED_OBJECT;
        String baseKustomization = "deploy/kubernetes/base/kustomization.yaml";
        String groupIdEntry = "TRANSACTIONS_GROUP_ID: transaction-processor";
        return Stream.of(
                new Breakage("grace period longer than the drain's", deployment, "terminationGracePeriodSeconds: 30",
                        "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds=60"),
                new Breakage("a preStop sleep eats into the grace period", deployment, "          envFrom:\n",
                        "          lifecycle:\n            preStop:\n              exec:\n"
                                + "                command: [\"sleep\", \"5\"]\n          envFrom:\n",
                        "preStop"),
                new Breakage("a preStop sleep action eats into the grace period", deployment, "          envFrom:\n",
                        PRE_STOP_SLEEP_ACTION + "          envFrom:\n", "with a preStop of 5 s"),
                new Breakage("a preStop of unknown length", deployment, "          envFrom:\n",
                        "          lifecycle:\n            preStop:\n              httpGet:\n"
                                + "                path: /drain\n                port: http\n          envFrom:\n",
                        "cannot tell how long this preStop takes"),
                new Breakage("DRAIN_GRACE_PERIOD in the ConfigMap", configMap, "DRAIN_GRACE_PERIOD: 30s",
                        "DRAIN_GRACE_PERIOD: 45s", "data.DRAIN_GRACE_PERIOD=45s"),
                new Breakage("hand-off reserve as long as the grace period", configMap, "DRAIN_HAND_OFF_RESERVE: auto",
                        "DRAIN_HAND_OFF_RESERVE: 30s", "DRAIN_HAND_OFF_RESERVE"),
                new Breakage("QUARKUS_HTTP_PORT in the ConfigMap", configMap, "QUARKUS_HTTP_PORT: \"8080\"",
                        "QUARKUS_HTTP_PORT: \"8081\"", "data.QUARKUS_HTTP_PORT=8081"),
                new Breakage("container port", deployment, "containerPort: 8080", "containerPort: 9090",
                        "containerPort=9090"),
                new Breakage("readiness path", deployment, "path: /q/health/ready", "path: /health/ready",
                        "readinessProbe.httpGet.path=/health/ready"),
                new Breakage("liveness path", deployment, "path: /q/health/live", "path: /q/health/ready",
                        "livenessProbe.httpGet.path=/q/health/ready"),
                new Breakage("probe port", deployment, "port: http", "port: 9000", "readinessProbe.httpGet.port=9000"),
                new Breakage("Service target port", service, "targetPort: http", "targetPort: metrics",
                        "targetPort=metrics"),
                new Breakage("ServiceMonitor port", monitor, "- port: http", "- port: web", "endpoints[0].port=web"),
                new Breakage("ServiceMonitor path", monitor, "path: /q/metrics", "path: /metrics",
                        "endpoints[0].path=/metrics"),
                new Breakage("KEDA consumer group", scaledObject, "consumerGroup: transaction-processor",
                        "consumerGroup: transaction-processors", "consumerGroup=transaction-processors"),
                new Breakage("KEDA target of another kind", scaledObject, DeployFiles.SCALE_TARGET,
                        DeployFiles.SCALE_TARGET + "\n    kind: StatefulSet", "no StatefulSet of that name"),
                new Breakage("kustomization lists a missing file", baseKustomization, "- poddisruptionbudget.yaml",
                        "- pdb.yaml", "resources: pdb.yaml"),
                new Breakage("one transactional.id for every pod", configMap, groupIdEntry,
                        groupIdEntry + "\n  TRANSACTIONS_TRANSACTIONAL_ID: transaction-processor-1",
                        "TRANSACTIONS_TRANSACTIONAL_ID=transaction-processor-1"),
                new Breakage("exactly once, transaction timeout within a revocation drain", configMap, groupIdEntry,
                        groupIdEntry
                                + "\n  TRANSACTIONS_DELIVERY: exactly-once\n  TRANSACTIONS_TRANSACTION_TIMEOUT: 8s",
                        "TRANSACTIONS_TRANSACTION_TIMEOUT=8s"));
    }

    @Test
    void aPreStopIsAcceptedWhenTheGracePeriodLessItIsDrainGracePeriod(@TempDir Path copy) throws IOException {
        DeployFiles.copyTo(copy);
        Path deployment = copy.resolve(DeployFiles.DEPLOYMENT);
        String text = Files.readString(deployment);
        assertThat(text).contains("terminationGracePeriodSeconds: 30").contains("          envFrom:\n");
        // 35 s from the pod's deletion to SIGKILL, 5 of them in the preStop: SIGTERM to SIGKILL is 30 s,
        // DRAIN_GRACE_PERIOD's default.
        Files.writeString(deployment, text.replace("terminationGracePeriodSeconds: 30",
                "terminationGracePeriodSeconds: 35").replace("          envFrom:\n",
                        PRE_STOP_SLEEP_ACTION + "          envFrom:\n"));
        assertThat(Checks.run(copy)).as("problems with a preStop budgeted for").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aDeliberatelyInconsistentCopyFailsNamingTheFileAndTheField(Breakage breakage, @TempDir Path copy)
            throws IOException {
        breakage.assertFoundIn(copy);
    }
}
