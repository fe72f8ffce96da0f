package io.txprocessor.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every check of the deployment descriptors against the service, on the files under one root (the repository, or
 * a copy of its deployment files). Collects every problem rather than stopping at the first, so one run shows all
 * that disagrees; each problem names the file and the field.
 */
final class Checks {

    private Checks() {
    }

    static List<String> run(Path root) {
        List<String> problems = new ArrayList<>();
        ServiceSide service = new ServiceSide(root, problems);
        // The pods' and tasks' users are checked against the image's.
        Optional<Long> imageUser = new DockerfileChecks(root, service, problems).run();
        new KubernetesChecks(root, service, imageUser, problems).run();
        new EcsChecks(root, service, imageUser, problems).run();
        return problems;
    }
}
