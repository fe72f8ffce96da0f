package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * overlays/exactly-once against deploy/kubernetes, both as {@code kubectl kustomize} renders them, field by field.
 * Needs kubectl: without it, this fails under CI and is skipped elsewhere ({@link Kustomize}).
 */
class DeployExactlyOnceOverlayTest {

    /**
     * overlays/exactly-once is deploy/kubernetes with the Deployment turned into a StatefulSet (stable pod names, so
     * stable transactional.ids) and TRANSACTIONS_DELIVERY=exactly-once in the ConfigMap: everything else (pod
     * template, selector, replicas, ConfigMap, Secret, Service, PodDisruptionBudget, ServiceMonitor) renders the same.
     */
    @Test
    void theExactlyOnceOverlayRendersTheSameAsAStatefulSet(@TempDir Path output) throws IOException {
        Map<String, JsonNode> base = Kustomize.resources("deploy/kubernetes", output.resolve("base.yaml"));
        Map<String, JsonNode> overlay = Kustomize.resources("deploy/kubernetes/overlays/exactly-once",
                output.resolve("exactly-once.yaml"));

        JsonNode deployment = base.remove("Deployment/transaction-processor");
        assertThat(deployment).as("Deployment/transaction-processor in %s", base.keySet()).isNotNull();
        base.put("StatefulSet/transaction-processor", DeployFiles.asStatefulSet(deployment));
        ObjectNode configMap = base.get("ConfigMap/transaction-processor-config").deepCopy();
        ((ObjectNode) configMap.path("data")).put("TRANSACTIONS_DELIVERY", "exactly-once");
        base.put("ConfigMap/transaction-processor-config", configMap);

        assertThat(overlay.keySet()).containsExactlyInAnyOrderElementsOf(base.keySet());
        for (Map.Entry<String, JsonNode> resource : base.entrySet()) {
            JsonNode actual = overlay.get(resource.getKey());
            // JsonNode equality ignores the order of fields.
            assertThat(actual.equals(resource.getValue()))
                    .as("%s rendered by overlays/exactly-once:%n%s%nexpected:%n%s", resource.getKey(),
                            DeployFiles.YAML.writeValueAsString(actual),
                            DeployFiles.YAML.writeValueAsString(resource.getValue()))
                    .isTrue();
        }
    }
}
