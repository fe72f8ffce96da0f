package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Ci;

/**
 * {@code kubectl kustomize}: what an entry point of deploy/kubernetes renders, patches, components and
 * transformers applied. Without kubectl on the PATH the test fails under CI and is skipped elsewhere
 * ({@link Ci}): {@code .ci/run} installs a kubectl whose kustomize renders every entry point (Debian's
 * kubernetes-client, kubectl 1.20, cannot: it knows no {@code components}).
 */
final class Kustomize {

    private static final String HOW_TO_INSTALL = "a kubectl of 1.21 or later (kustomize components); .ci/run "
            + "installs one where none is (Debian's kubernetes-client, kubectl 1.20, is too old)";

    private Kustomize() {
    }

    /** The resources {@code kubectl kustomize} renders for an entry point, by kind/name. */
    static Map<String, JsonNode> resources(String entryPoint, Path output) throws IOException {
        render(DeployFiles.ROOT.resolve(entryPoint), output);
        Map<String, JsonNode> resources = new LinkedHashMap<>();
        for (Object document : DeployFiles.YAML.readerFor(JsonNode.class).readValues(output.toFile()).readAll()) {
            JsonNode node = (JsonNode) document;
            if (node != null && node.isObject()) {
                String key = node.path("kind").asText() + "/" + node.path("metadata").path("name").asText();
                assertThat(resources.put(key, node)).as("%s rendered twice by %s", key, entryPoint).isNull();
            }
        }
        return resources;
    }

    /** Writes what {@code kubectl kustomize directory} renders to {@code output}; fails if kubectl does. */
    static void render(Path directory, Path output) throws IOException {
        Path kubectl = Ci.requireOnPath(HOW_TO_INSTALL, "kubectl");
        Path errors = Files.createTempFile("kustomize", ".err");
        Process process = null;
        try {
            process = new ProcessBuilder(kubectl.toString(), "kustomize", directory.toString())
                    .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("kubectl kustomize " + directory + " did not finish within 120 s");
            }
            assertThat(process.exitValue()).as("%s kustomize %s: %s", kubectl, directory, Files.readString(errors))
                    .isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running kubectl kustomize", e);
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
            Files.deleteIfExists(errors);
        }
    }
}
