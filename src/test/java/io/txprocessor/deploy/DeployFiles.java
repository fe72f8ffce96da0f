package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The deployment files the checks read (deploy/, application.properties, the Dockerfile), where they are, how
 * they are parsed, and copies of them for the tests that break one field.
 */
final class DeployFiles {

    /** The repository: Maven runs the tests in it. */
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROPERTIES = "src/main/resources/application.properties";
    static final String DOCKERFILE = "src/main/docker/Dockerfile.jvm";
    static final String DEPLOYMENT = "deploy/kubernetes/base/deployment.yaml";
    static final String SCALED_OBJECT = "deploy/kubernetes/components/keda/scaledobject.yaml";
    static final String SCALE_TARGET = "scaleTargetRef:\n    name: transaction-processor";

    private DeployFiles() {
    }

    /** Copies every file the checks read into {@code copy}, at the same relative paths. */
    static void copyTo(Path copy) {
        try (Stream<Path> files = Files.walk(ROOT.resolve("deploy"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                copyFile(file, copy);
            }
            copyFile(ROOT.resolve(PROPERTIES), copy);
            copyFile(ROOT.resolve(DOCKERFILE), copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyFile(Path file, Path copy) throws IOException {
        Path target = copy.resolve(ROOT.relativize(file).toString());
        Files.createDirectories(target.getParent());
        Files.copy(file, target);
    }

    /**
     * What overlays/exactly-once's patch makes of the base's Deployment: a StatefulSet of the same pods, governed by
     * the base's Service, started in parallel, updated one pod at a time.
     */
    static ObjectNode asStatefulSet(JsonNode deployment) {
        ObjectNode statefulSet = deployment.deepCopy();
        statefulSet.put("kind", "StatefulSet");
        ObjectNode spec = (ObjectNode) statefulSet.path("spec");
        spec.remove("strategy");
        spec.put("serviceName", "transaction-processor");
        spec.put("podManagementPolicy", "Parallel");
        spec.putObject("updateStrategy").put("type", "RollingUpdate");
        return statefulSet;
    }

    /**
     * Replaces the copy's Deployment with {@link #asStatefulSet} of it, changed by {@code change}, and points the
     * KEDA component's ScaledObject at it (as overlays/exactly-once says to, to autoscale it).
     */
    static void writeAsStatefulSet(Path copy, Consumer<ObjectNode> change) throws IOException {
        Path file = copy.resolve(DEPLOYMENT);
        ObjectNode statefulSet = asStatefulSet(YAML.readTree(file.toFile()));
        change.accept(statefulSet);
        YAML.writeValue(file.toFile(), statefulSet);
        Path scaledObject = copy.resolve(SCALED_OBJECT);
        String text = Files.readString(scaledObject);
        assertThat(text).contains(SCALE_TARGET);
        Files.writeString(scaledObject, text.replace(SCALE_TARGET, SCALE_TARGET + "\n    kind: StatefulSet"));
    }

    static Map<String, String> labels(JsonNode node) {
        Map<String, String> labels = new HashMap<>();
        node.properties().forEach(entry -> labels.put(entry.getKey(), entry.getValue().asText()));
        return labels;
    }

    /** The files under {@code directory} whose names end with one of {@code extensions}, sorted. */
    static List<Path> files(Path directory, String... extensions) {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> Stream.of(extensions).anyMatch(file.toString()::endsWith)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's path under {@code root}, with forward slashes, as problems name it. */
    static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace('\\', '/');
    }
}
