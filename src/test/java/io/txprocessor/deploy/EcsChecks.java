package io.txprocessor.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code deploy/ecs/task-definition.json} and {@code service.json} against the service: stopTimeout is
 * DRAIN_GRACE_PERIOD (and within Fargate's limit), the port mappings and the health check are the service's, the
 * container runs as the image's user, exactly once gets no fixed hostname; the service runs that task family.
 */
final class EcsChecks {

    private static final int FARGATE_MAX_STOP_TIMEOUT = 120;

    private final Path root;
    private final ServiceSide service;
    private final Optional<Long> imageUser;
    private final List<String> problems;

    EcsChecks(Path root, ServiceSide service, Optional<Long> imageUser, List<String> problems) {
        this.root = root;
        this.service = service;
        this.imageUser = imageUser;
        this.problems = problems;
    }

    void run() {
        String taskFile = "deploy/ecs/task-definition.json";
        JsonNode task = json(taskFile);
        if (task == null) {
            return;
        }
        boolean fargate = false;
        for (JsonNode compatibility : task.path("requiresCompatibilities")) {
            fargate |= compatibility.asText().equals("FARGATE");
        }
        int index = 0;
        for (JsonNode container : task.path("containerDefinitions")) {
            String prefix = "containerDefinitions[" + index++ + "]";
            Map<String, Setting> env = new HashMap<>();
            for (JsonNode variable : container.path("environment")) {
                String name = variable.path("name").asText();
                Setting setting = new Setting(variable.path("value").asText(),
                        taskFile + " " + prefix + ".environment." + name);
                service.placeMustAgree(name, setting);
                env.put(name, setting);
            }
            service.reserveAndMarginFitInTheGracePeriod(env, taskFile + " " + prefix);
            service.exactlyOnceSettings(env, taskFile + " " + prefix);
            if (container.has("hostname") && service.exactlyOnce(env)) {
                problems.add(taskFile + " " + prefix + ".hostname=" + container.path("hostname").asText()
                        + ": in exactly-once delivery every task of the service would have this HOSTNAME, and"
                        + " so the same default transactional.id; leave it unset");
            }
            Setting drain = service.setting(env, "DRAIN_GRACE_PERIOD");
            if (!container.has("stopTimeout")) {
                problems.add(taskFile + " " + prefix + ".stopTimeout: missing; set it to DRAIN_GRACE_PERIOD="
                        + drain.value() + " in seconds");
            } else {
                int stopTimeout = container.path("stopTimeout").asInt();
                String where = taskFile + " " + prefix + ".stopTimeout=" + stopTimeout;
                if (!ServiceSide.duration(drain).equals(Duration.ofSeconds(stopTimeout))) {
                    problems.add(where + " disagrees with DRAIN_GRACE_PERIOD=" + drain.value() + " ("
                            + drain.where() + "): ECS sends SIGKILL stopTimeout seconds after SIGTERM");
                }
                if (fargate && stopTimeout > FARGATE_MAX_STOP_TIMEOUT) {
                    problems.add(where + ": Fargate allows at most " + FARGATE_MAX_STOP_TIMEOUT + " s");
                }
            }
            Setting port = service.setting(env, "QUARKUS_HTTP_PORT");
            int mapping = 0;
            for (JsonNode portMapping : container.path("portMappings")) {
                int containerPort = portMapping.path("containerPort").asInt();
                if (!Integer.toString(containerPort).equals(port.value())) {
                    problems.add(taskFile + " " + prefix + ".portMappings[" + mapping + "].containerPort="
                            + containerPort + " disagrees with QUARKUS_HTTP_PORT=" + port.value() + " ("
                            + port.where() + ")");
                }
                mapping++;
            }
            List<String> command = new ArrayList<>();
            container.path("healthCheck").path("command").forEach(part -> command.add(part.asText()));
            String text = String.join(" ", command);
            if (command.isEmpty()) {
                problems.add(taskFile + " " + prefix + ".healthCheck.command: missing");
            } else if (!text.contains(service.livenessPath())
                    || !Pattern.compile("(?<!\\d)" + Pattern.quote(port.value()) + "(?!\\d)").matcher(text)
                            .find()) {
                problems.add(taskFile + " " + prefix + ".healthCheck.command=" + text + " does not probe "
                        + service.livenessPath() + " on QUARKUS_HTTP_PORT=" + port.value() + " (" + port.where()
                        + "); liveness, because readiness is DOWN for the whole drain");
            }
            if (container.has("user") && imageUser.isPresent()
                    && !container.path("user").asText().split(":")[0].equals(imageUser.get().toString())) {
                problems.add(taskFile + " " + prefix + ".user=" + container.path("user").asText()
                        + " disagrees with " + DeployFiles.DOCKERFILE + " USER " + imageUser.get());
            }
        }

        String serviceFile = "deploy/ecs/service.json";
        JsonNode ecsService = json(serviceFile);
        if (ecsService == null) {
            return;
        }
        String family = task.path("family").asText();
        String taskDefinition = ecsService.path("taskDefinition").asText();
        if (!taskDefinition.equals(family) && !taskDefinition.startsWith(family + ":")
                && !taskDefinition.endsWith("task-definition/" + family)
                && !taskDefinition.contains("task-definition/" + family + ":")) {
            problems.add(serviceFile + " taskDefinition=" + taskDefinition + " is not the family " + family
                    + " of " + taskFile);
        }
        JsonNode deployment = ecsService.path("deploymentConfiguration");
        if (!deployment.has("minimumHealthyPercent") || !deployment.has("maximumPercent")) {
            problems.add(serviceFile + " deploymentConfiguration: set minimumHealthyPercent and maximumPercent");
        }
    }

    private JsonNode json(String file) {
        Path path = root.resolve(file);
        if (!Files.exists(path)) {
            problems.add(file + ": missing");
            return null;
        }
        try {
            return DeployFiles.JSON.readTree(path.toFile());
        } catch (IOException e) {
            problems.add(file + ": not valid JSON: " + e.getMessage());
            return null;
        }
    }
}
