package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@code kubectl kustomize} renders for every entry point of deploy/kubernetes, checked as the files as
 * written are. Needs kubectl: without it, this fails under CI and is skipped elsewhere ({@link Kustomize}).
 */
class DeployKustomizeTest {

    /**
     * The checks of {@link DeployConsistencyTest} on what kustomize makes of each entry point (patches, components
     * and transformers applied), so that a patch in an overlay or a component cannot undo an agreement unseen.
     */
    @ParameterizedTest(name = "kubectl kustomize {0}")
    @ValueSource(strings = {"deploy/kubernetes/base", "deploy/kubernetes", "deploy/kubernetes/overlays/autoscaled",
            "deploy/kubernetes/overlays/exactly-once"})
    void whatKustomizeRendersAgreesAsWell(String entryPoint, @TempDir Path copy) throws IOException {
        DeployFiles.copyTo(copy);
        Path rendered = copy.resolve("deploy/kubernetes-rendered.yaml");
        Kustomize.render(DeployFiles.ROOT.resolve(entryPoint), rendered);
        try (Stream<Path> files = Files.walk(copy.resolve("deploy/kubernetes"))) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
        Files.createDirectories(copy.resolve("deploy/kubernetes"));
        Files.move(rendered, copy.resolve("deploy/kubernetes/rendered.yaml"));

        List<String> problems = Checks.run(copy);
        assertThat(problems).as("in the output of kubectl kustomize %s:%n%s", entryPoint, String.join("\n", problems))
                .isEmpty();
    }
}
