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
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Every YAML document under {@code deploy/kubernetes} (as written, or as {@code kubectl kustomize} rendered it)
 * against the service and against each other: a Deployment's or StatefulSet's grace period less its preStop is
 * DRAIN_GRACE_PERIOD, its ports and probes are the service's, its pods run as the image's user; a StatefulSet's
 * governing Service selects its pods; Services, monitors, the PodDisruptionBudget and KEDA's ScaledObject point at
 * those pods and the service's port, paths and Kafka names; kustomizations list files that exist.
 */
final class KubernetesChecks {

    /** Kubernetes' default when a pod does not set it. */
    private static final int DEFAULT_TERMINATION_GRACE_PERIOD = 30;
    private static final Pattern SLEEP = Pattern.compile("\\bsleep\\s+(\\d+)\\b");
    /** The kinds whose pods run the service. */
    private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet");

    private final Path root;
    private final ServiceSide service;
    private final Optional<Long> imageUser;
    private final List<String> problems;

    KubernetesChecks(Path root, ServiceSide service, Optional<Long> imageUser, List<String> problems) {
        this.root = root;
        this.service = service;
        this.imageUser = imageUser;
        this.problems = problems;
    }

    void run() {
        Path directory = root.resolve("deploy/kubernetes");
        if (!Files.isDirectory(directory)) {
            problems.add("deploy/kubernetes: missing");
            return;
        }
        List<Doc> docs = new ArrayList<>();
        for (Path file : DeployFiles.files(directory, ".yaml", ".yml")) {
            try {
                for (JsonNode node : DeployFiles.YAML.readerFor(JsonNode.class).readValues(file.toFile()).readAll()
                        .stream().map(JsonNode.class::cast).toList()) {
                    if (node != null && node.isObject()) {
                        docs.add(new Doc(DeployFiles.relative(root, file), file, node));
                    }
                }
            } catch (IOException e) {
                problems.add(DeployFiles.relative(root, file) + ": not valid YAML: " + e.getMessage());
            }
        }
        Map<String, Doc> configMaps = new HashMap<>();
        for (Doc doc : docs) {
            switch (doc.kind()) {
                case "Kustomization", "Component" -> kustomization(doc);
                case "ConfigMap" -> {
                    configMaps.put(doc.name(), doc);
                    doc.node().path("data").properties().forEach(entry -> service.placeMustAgree(entry.getKey(),
                            new Setting(entry.getValue().asText(), doc.where("data." + entry.getKey()))));
                }
                default -> {
                    // checked below, once every ConfigMap is known
                }
            }
        }
        // A StatefulSet's pods (overlays/exactly-once) are checked as a Deployment's are.
        List<PodSpec> pods = new ArrayList<>();
        for (Doc doc : docs) {
            if (WORKLOADS.contains(doc.kind())) {
                pods.add(workload(doc, configMaps));
            }
        }
        for (PodSpec pod : pods) {
            if (pod.doc().kind().equals("StatefulSet")) {
                governingService(pod, docs);
            }
        }
        for (Doc doc : docs) {
            switch (doc.kind()) {
                case "Service" -> kubernetesService(doc, pods);
                case "PodDisruptionBudget" -> selectsAPod(doc, doc.node().path("spec").path("selector")
                        .path("matchLabels"), pods);
                case "ServiceMonitor" -> serviceMonitor(doc, docs);
                case "PodMonitor" -> podMonitor(doc, pods);
                case "ScaledObject" -> scaledObject(doc, pods);
                default -> {
                    // no field of other kinds must agree with the service
                }
            }
        }
    }

    private void kustomization(Doc doc) {
        Path directory = doc.file().getParent();
        for (String field : List.of("resources", "components")) {
            for (JsonNode entry : doc.node().path(field)) {
                String reference = entry.asText();
                if (!reference.contains("://") && !Files.exists(directory.resolve(reference))) {
                    problems.add(doc.where(field + ": " + reference) + ": no such file or directory");
                }
            }
        }
        for (JsonNode patch : doc.node().path("patches")) {
            if (patch.has("path") && !Files.exists(directory.resolve(patch.path("path").asText()))) {
                problems.add(doc.where("patches.path: " + patch.path("path").asText())
                        + ": no such file");
            }
        }
    }

    private PodSpec workload(Doc doc, Map<String, Doc> configMaps) {
        JsonNode pod = doc.node().path("spec").path("template").path("spec");
        Map<String, String> labels = DeployFiles.labels(doc.node().path("spec").path("template").path("metadata")
                .path("labels"));
        int grace = pod.has("terminationGracePeriodSeconds")
                ? pod.path("terminationGracePeriodSeconds").asInt()
                : DEFAULT_TERMINATION_GRACE_PERIOD;
        String graceWhere = doc.where("spec.template.spec.terminationGracePeriodSeconds=" + grace);
        Map<String, Integer> ports = new HashMap<>();
        Map<String, Setting> env = new HashMap<>();
        int index = 0;
        for (JsonNode container : pod.path("containers")) {
            String prefix = "spec.template.spec.containers[" + index++ + "]";
            env = environment(doc, container, prefix, configMaps);
            Setting port = service.setting(env, "QUARKUS_HTTP_PORT");
            ports = containerPorts(doc, container, prefix, port);
            probe(doc, container, prefix, "readinessProbe", service.readinessPath(), true, ports, port);
            probe(doc, container, prefix, "livenessProbe", service.livenessPath(), true, ports, port);
            probe(doc, container, prefix, "startupProbe", service.livenessPath(), false, ports, port);

            // The platform's SIGTERM-to-SIGKILL time for the service is the grace period less the preStop.
            int preStop = preStopSeconds(doc, container, prefix);
            Setting drain = service.setting(env, "DRAIN_GRACE_PERIOD");
            Duration expected = Duration.ofSeconds(grace - preStop);
            if (!ServiceSide.duration(drain).equals(expected)) {
                problems.add(graceWhere + (preStop > 0
                        ? " with a preStop of " + preStop + " s (" + prefix
                                + ".lifecycle.preStop)"
                        : "") + " disagrees with DRAIN_GRACE_PERIOD=" + drain.value()
                        + " (" + drain.where() + "): the drain must be budgeted for exactly the time from"
                        + " SIGTERM to SIGKILL, " + expected.toSeconds() + " s");
            }
            service.reserveAndMarginFitInTheGracePeriod(env, doc.where(prefix));
            service.exactlyOnceSettings(env, doc.where(prefix));
            runsAsTheImageUser(doc, pod.path("securityContext").path("runAsUser"),
                    "spec.template.spec.securityContext.runAsUser");
            runsAsTheImageUser(doc, container.path("securityContext").path("runAsUser"),
                    prefix + ".securityContext.runAsUser");
        }
        return new PodSpec(doc, labels, ports, env);
    }

    private Map<String, Setting> environment(Doc doc, JsonNode container, String prefix,
            Map<String, Doc> configMaps) {
        Map<String, Setting> env = new HashMap<>();
        for (JsonNode source : container.path("envFrom")) {
            String name = source.path("configMapRef").path("name").asText(null);
            if (name == null) {
                continue; // a Secret: credentials only, nothing that must agree
            }
            Doc configMap = configMaps.get(name);
            if (configMap == null) {
                problems.add(doc.where(prefix + ".envFrom.configMapRef.name=" + name)
                        + ": no ConfigMap of that name in deploy/kubernetes");
                continue;
            }
            configMap.node().path("data").properties().forEach(entry -> env.put(entry.getKey(),
                    new Setting(entry.getValue().asText(), configMap.where("data." + entry.getKey()))));
        }
        int index = 0;
        for (JsonNode variable : container.path("env")) {
            String field = prefix + ".env[" + index++ + "]";
            if (variable.has("value")) {
                Setting setting = new Setting(variable.path("value").asText(),
                        doc.where(field + " " + variable.path("name").asText()));
                service.placeMustAgree(variable.path("name").asText(), setting);
                env.put(variable.path("name").asText(), setting);
            }
        }
        return env;
    }

    private Map<String, Integer> containerPorts(Doc doc, JsonNode container, String prefix, Setting port) {
        Map<String, Integer> ports = new HashMap<>();
        boolean served = false;
        int index = 0;
        for (JsonNode containerPort : container.path("ports")) {
            int number = containerPort.path("containerPort").asInt();
            ports.put(containerPort.path("name").asText(Integer.toString(number)), number);
            if (Integer.toString(number).equals(port.value())) {
                served = true;
            } else {
                problems.add(doc.where(prefix + ".ports[" + index + "].containerPort=" + number)
                        + " disagrees with QUARKUS_HTTP_PORT=" + port.value() + " (" + port.where() + ")");
            }
            index++;
        }
        if (!served && index == 0) {
            problems.add(doc.where(prefix + ".ports") + ": no container port for QUARKUS_HTTP_PORT="
                    + port.value());
        }
        return ports;
    }

    private void probe(Doc doc, JsonNode container, String prefix, String probe, String path, boolean required,
            Map<String, Integer> ports, Setting port) {
        JsonNode httpGet = container.path(probe).path("httpGet");
        if (httpGet.isMissingNode()) {
            if (required) {
                problems.add(doc.where(prefix + "." + probe) + ": missing (an httpGet on " + path + ")");
            }
            return;
        }
        String actual = httpGet.path("path").asText();
        if (!actual.equals(path)) {
            problems.add(doc.where(prefix + "." + probe + ".httpGet.path=" + actual)
                    + " disagrees with the service's " + path + " (" + DeployFiles.PROPERTIES
                    + " and Quarkus' defaults)");
        }
        String probePort = httpGet.path("port").asText();
        Integer resolved = probePort.matches("\\d+") ? Integer.valueOf(probePort) : ports.get(probePort);
        if (resolved == null || !resolved.toString().equals(port.value())) {
            problems.add(doc.where(prefix + "." + probe + ".httpGet.port=" + probePort)
                    + (resolved == null ? " names no container port" : " is " + resolved)
                    + ", not QUARKUS_HTTP_PORT=" + port.value() + " (" + port.where() + ")");
        }
    }

    private int preStopSeconds(Doc doc, JsonNode container, String prefix) {
        JsonNode preStop = container.path("lifecycle").path("preStop");
        if (preStop.isMissingNode()) {
            return 0;
        }
        if (preStop.path("sleep").has("seconds")) {
            return preStop.path("sleep").path("seconds").asInt();
        }
        List<String> command = new ArrayList<>();
        preStop.path("exec").path("command").forEach(part -> command.add(part.asText()));
        Matcher sleep = SLEEP.matcher(String.join(" ", command));
        if (sleep.find()) {
            return Integer.parseInt(sleep.group(1));
        }
        problems.add(doc.where(prefix + ".lifecycle.preStop") + ": cannot tell how long this preStop takes, so"
                + " cannot check DRAIN_GRACE_PERIOD = terminationGracePeriodSeconds - preStop");
        return 0;
    }

    private void runsAsTheImageUser(Doc doc, JsonNode runAsUser, String field) {
        if (runAsUser.isMissingNode()) {
            return; // runAsNonRoot then relies on the image's numeric USER, checked in dockerfile()
        }
        if (imageUser.isEmpty() || runAsUser.asLong() != imageUser.get()) {
            problems.add(doc.where(field + "=" + runAsUser.asText()) + " disagrees with " + DeployFiles.DOCKERFILE
                    + " USER " + imageUser.map(Object::toString).orElse("(not numeric)"));
        }
    }

    private void kubernetesService(Doc doc, List<PodSpec> pods) {
        JsonNode selector = doc.node().path("spec").path("selector");
        Optional<PodSpec> pod = selectsAPod(doc, selector, pods);
        int index = 0;
        for (JsonNode port : doc.node().path("spec").path("ports")) {
            String field = "spec.ports[" + index++ + "].targetPort";
            String target = port.path("targetPort").asText(port.path("port").asText());
            if (pod.isEmpty()) {
                continue;
            }
            Integer resolved = target.matches("\\d+") ? Integer.valueOf(target) : pod.get().ports().get(target);
            Setting http = service.setting(pod.get().env(), "QUARKUS_HTTP_PORT");
            if (resolved == null || !resolved.toString().equals(http.value())) {
                problems.add(doc.where(field + "=" + target) + (resolved == null
                        ? " names no container port of " + pod.get().doc().where("")
                        : " is " + resolved) + ", not QUARKUS_HTTP_PORT=" + http.value() + " (" + http.where()
                        + ")");
            }
        }
    }

    /**
     * A StatefulSet's serviceName names a Service that selects its pods (the pods' DNS subdomain; nothing
     * connects to a pod by that name here, so the ClusterIP Service of the base serves).
     */
    private void governingService(PodSpec pod, List<Doc> docs) {
        String name = pod.doc().node().path("spec").path("serviceName").asText("");
        if (name.isEmpty()) {
            problems.add(pod.doc().where("spec.serviceName") + ": missing; a StatefulSet needs its governing"
                    + " Service");
            return;
        }
        Optional<Doc> governing = docs.stream().filter(d -> d.kind().equals("Service") && d.name().equals(name))
                .findFirst();
        if (governing.isEmpty()) {
            problems.add(pod.doc().where("spec.serviceName=" + name) + ": no Service of that name");
            return;
        }
        Map<String, String> selector = DeployFiles.labels(governing.get().node().path("spec").path("selector"));
        if (selector.isEmpty() || !pod.labels().entrySet().containsAll(selector.entrySet())) {
            problems.add(pod.doc().where("spec.serviceName=" + name) + ": " + governing.get().where("selector "
                    + selector) + " does not select this StatefulSet's pods");
        }
    }

    private Optional<PodSpec> selectsAPod(Doc doc, JsonNode matchLabels, List<PodSpec> pods) {
        Map<String, String> selector = DeployFiles.labels(matchLabels);
        Optional<PodSpec> selected = pods.stream()
                .filter(pod -> !selector.isEmpty() && pod.labels().entrySet().containsAll(selector.entrySet()))
                .findFirst();
        if (selected.isEmpty()) {
            problems.add(doc.where("selector " + selector) + ": selects no Deployment's or StatefulSet's pods");
        }
        return selected;
    }

    private void serviceMonitor(Doc doc, List<Doc> docs) {
        Map<String, String> selector = DeployFiles.labels(doc.node().path("spec").path("selector").path("matchLabels"));
        List<Doc> services = docs.stream().filter(d -> d.kind().equals("Service"))
                .filter(d -> DeployFiles.labels(d.node().path("metadata").path("labels")).entrySet()
                        .containsAll(selector.entrySet()))
                .toList();
        if (services.isEmpty()) {
            problems.add(doc.where("spec.selector.matchLabels " + selector) + ": selects no Service");
        }
        int index = 0;
        for (JsonNode endpoint : doc.node().path("spec").path("endpoints")) {
            String field = "spec.endpoints[" + index++ + "]";
            String port = endpoint.path("port").asText();
            boolean named = services.stream().anyMatch(s -> {
                for (JsonNode servicePort : s.node().path("spec").path("ports")) {
                    if (servicePort.path("name").asText().equals(port)) {
                        return true;
                    }
                }
                return false;
            });
            if (!named) {
                problems.add(doc.where(field.replace("spec.", "") + ".port=" + port)
                        + " names no port of the Service it selects");
            }
            metricsPath(doc, endpoint, field.replace("spec.", ""));
        }
    }

    private void podMonitor(Doc doc, List<PodSpec> pods) {
        Optional<PodSpec> pod = selectsAPod(doc, doc.node().path("spec").path("selector").path("matchLabels"),
                pods);
        int index = 0;
        for (JsonNode endpoint : doc.node().path("spec").path("podMetricsEndpoints")) {
            String field = "podMetricsEndpoints[" + index++ + "]";
            String port = endpoint.path("port").asText();
            if (pod.isPresent() && !pod.get().ports().containsKey(port)) {
                problems.add(doc.where(field + ".port=" + port) + " names no container port");
            }
            metricsPath(doc, endpoint, field);
        }
    }

    private void metricsPath(Doc doc, JsonNode endpoint, String field) {
        // Prometheus scrapes /metrics when no path is given.
        String path = endpoint.path("path").asText("/metrics");
        if (!path.equals(service.metricsPath())) {
            problems.add(doc.where(field + ".path=" + path) + " disagrees with the service's metrics path "
                    + service.metricsPath());
        }
    }

    private void scaledObject(Doc doc, List<PodSpec> pods) {
        String target = doc.node().path("spec").path("scaleTargetRef").path("name").asText();
        // KEDA scales a Deployment unless scaleTargetRef names another kind (a StatefulSet, say).
        String kind = doc.node().path("spec").path("scaleTargetRef").path("kind").asText("Deployment");
        Optional<PodSpec> pod = pods.stream()
                .filter(p -> p.doc().name().equals(target) && p.doc().kind().equals(kind)).findFirst();
        if (pod.isEmpty()) {
            problems.add(doc.where("spec.scaleTargetRef.name=" + target) + ": no " + kind + " of that name"
                    + pods.stream().filter(p -> p.doc().name().equals(target)).findFirst()
                            .map(p -> " (the " + p.doc().kind() + " needs scaleTargetRef.kind: "
                                    + p.doc().kind() + ")")
                            .orElse(""));
            return;
        }
        int index = 0;
        for (JsonNode trigger : doc.node().path("spec").path("triggers")) {
            String field = "spec.triggers[" + index++ + "].metadata.";
            if (!trigger.path("type").asText().equals("kafka")) {
                continue;
            }
            JsonNode metadata = trigger.path("metadata");
            sameAsTheService(doc, field + "consumerGroup", metadata, pod.get(), "TRANSACTIONS_GROUP_ID");
            sameAsTheService(doc, field + "topic", metadata, pod.get(), "TRANSACTIONS_TOPIC");
            sameAsTheService(doc, field + "bootstrapServers", metadata, pod.get(), "KAFKA_BOOTSTRAP_SERVERS");
        }
    }

    private void sameAsTheService(Doc doc, String field, JsonNode metadata, PodSpec pod, String variable) {
        String key = field.substring(field.lastIndexOf('.') + 1);
        Setting expected = service.setting(pod.env(), variable);
        String actual = metadata.path(key).asText(null);
        if (expected != null && actual != null && !actual.equals(expected.value())) {
            problems.add(doc.where(field + "=" + actual) + " disagrees with " + variable + "="
                    + expected.value() + " (" + expected.where() + ")");
        }
    }

    /** One YAML document of a manifest file. */
    record Doc(String path, Path file, JsonNode node) {

        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        /** "file Kind/name field", for problem messages. */
        String where(String field) {
            return path + " " + kind() + "/" + name() + (field.isEmpty() ? "" : " " + field);
        }
    }

    /** What a Deployment's or StatefulSet's pods offer: their labels, container ports by name, and environment. */
    record PodSpec(Doc doc, Map<String, String> labels, Map<String, Integer> ports, Map<String, Setting> env) {
    }
}
