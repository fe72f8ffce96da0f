package io.txprocessor.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code src/main/docker/Dockerfile.jvm} against the service: a pinned base image, the HTTP port exposed,
 * STOPSIGNAL SIGTERM, an exec-form entry point (a shell as PID 1 never passes SIGTERM on), a numeric user.
 */
final class DockerfileChecks {

    private final Path root;
    private final ServiceSide service;
    private final List<String> problems;

    DockerfileChecks(Path root, ServiceSide service, List<String> problems) {
        this.root = root;
        this.service = service;
        this.problems = problems;
    }

    /** Checks the Dockerfile; returns the image's numeric user, if it has one. */
    Optional<Long> run() {
        Optional<Long> imageUser = Optional.empty();
        Path file = root.resolve(DeployFiles.DOCKERFILE);
        List<String> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : DeployFiles.read(file).lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            instructions.add(current.append(trimmed).toString());
            current.setLength(0);
        }
        Setting port = service.own("QUARKUS_HTTP_PORT");
        boolean exposed = false;
        boolean stopSignal = false;
        for (String instruction : instructions) {
            String[] parts = instruction.split("\\s+", 2);
            String keyword = parts[0].toUpperCase();
            String argument = parts.length > 1 ? parts[1].trim() : "";
            switch (keyword) {
                case "FROM" -> {
                    String image = argument.split("\\s+")[0];
                    String lastSegment = image.substring(image.lastIndexOf('/') + 1);
                    if (!image.contains("@sha256:") && (!lastSegment.contains(":")
                            || lastSegment.endsWith(":latest"))) {
                        problems.add(DeployFiles.DOCKERFILE + " FROM " + image
                                + ": the base image needs an explicit version tag or digest, not latest");
                    }
                }
                case "EXPOSE" -> exposed |= List.of(argument.split("\\s+")).stream()
                        .map(p -> p.replace("/tcp", "")).anyMatch(port.value()::equals);
                case "STOPSIGNAL" -> {
                    stopSignal = true;
                    if (!Set.of("SIGTERM", "TERM", "15").contains(argument.toUpperCase())) {
                        problems.add(DeployFiles.DOCKERFILE + " STOPSIGNAL " + argument
                                + ": the drain starts on SIGTERM; any other stop signal skips it");
                    }
                }
                case "ENTRYPOINT", "CMD" -> {
                    if (!argument.startsWith("[")) {
                        problems.add(DeployFiles.DOCKERFILE + " " + keyword + " " + argument
                                + ": shell form runs under /bin/sh -c, whose PID 1 shell never passes SIGTERM"
                                + " on to the JVM; use the exec form [\"...\"]");
                    }
                }
                case "USER" -> {
                    String user = argument.split(":")[0];
                    if (user.matches("\\d+")) {
                        imageUser = Optional.of(Long.parseLong(user));
                    } else {
                        problems.add(DeployFiles.DOCKERFILE + " USER " + argument
                                + ": use a numeric uid, so that runAsNonRoot can verify it");
                    }
                }
                default -> {
                    // other instructions have nothing that must agree
                }
            }
        }
        if (!exposed) {
            problems.add(DeployFiles.DOCKERFILE + " EXPOSE does not list " + port.value() + " (QUARKUS_HTTP_PORT from "
                    + port.where() + ")");
        }
        if (!stopSignal) {
            problems.add(DeployFiles.DOCKERFILE + " has no STOPSIGNAL SIGTERM");
        }
        return imageUser;
    }
}
