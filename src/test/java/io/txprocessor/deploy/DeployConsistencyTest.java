package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.smallrye.config.WithDefault;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The numbers that must agree between the service and the places it is deployed from: the platform's time from
 * SIGTERM to SIGKILL (Kubernetes' terminationGracePeriodSeconds less any preStop, ECS's stopTimeout) and
 * DRAIN_GRACE_PERIOD wherever it is set; the hand-off reserve and the exit margin; the HTTP port (container port,
 * probe ports, Service and monitor ports, QUARKUS_HTTP_PORT, EXPOSE); the health and metrics paths; the Kafka
 * names the autoscaler reads; the image's user, stop signal and entry point form; a StatefulSet's governing
 * Service; exactly once, no transactional.id shared by every instance and a transaction timeout inside its
 * bounds. The service's side comes from its own sources: {@link DrainConfig}'s and {@link TransactionsConfig}'s
 * {@code @WithDefault}s, application.properties, and Quarkus' defaults for what neither sets.
 *
 * <p>
 * Reads every YAML file under deploy/kubernetes as written, deploy/ecs/*.json, src/main/docker/Dockerfile.jvm and
 * application.properties; where kubectl is installed, also what {@code kubectl kustomize} renders for each entry
 * point, so that a patch in an overlay or a component cannot undo an agreement unseen (overlays/exactly-once's
 * StatefulSet exists only there; it is also compared with deploy/kubernetes's rendering, field by field). Each
 * problem names the file and the field. The parameterized tests break a copy of the files one field at a time
 * (and the base's Deployment turned into a StatefulSet, one field at a time), to show that every check can fail.
 */
class DeployConsistencyTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String DEPLOYMENT = "deploy/kubernetes/base/deployment.yaml";
    private static final String SCALED_OBJECT = "deploy/kubernetes/components/keda/scaledobject.yaml";
    private static final String SCALE_TARGET = "scaleTargetRef:\n    name: transaction-processor";

    @Test
    void theDeploymentDescriptorsAgreeWithTheServiceAndWithEachOther() {
        assertThat(ROOT.resolve("deploy")).as("deploy/ under the working directory %s", ROOT).isDirectory();
        List<String> problems = new Checks(ROOT).run();
        assertThat(problems).as("deployment descriptors that disagree:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void anUnchangedCopyIsConsistent(@TempDir Path copy) {
        copyDeploymentFiles(copy);
        assertThat(new Checks(copy).run()).isEmpty();
    }

    /**
     * The same checks on what kustomize makes of each entry point (patches, components and transformers
     * applied), where kubectl is installed; the checks above read the files as written.
     */
    @ParameterizedTest(name = "kubectl kustomize {0}")
    @ValueSource(strings = {"deploy/kubernetes/base", "deploy/kubernetes", "deploy/kubernetes/overlays/autoscaled",
            "deploy/kubernetes/overlays/exactly-once"})
    void whatKustomizeRendersAgreesAsWell(String entryPoint, @TempDir Path copy) throws IOException {
        copyDeploymentFiles(copy);
        Path rendered = copy.resolve("deploy/kubernetes-rendered.yaml");
        kustomize(ROOT.resolve(entryPoint), rendered);
        try (Stream<Path> files = Files.walk(copy.resolve("deploy/kubernetes"))) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
        Files.createDirectories(copy.resolve("deploy/kubernetes"));
        Files.move(rendered, copy.resolve("deploy/kubernetes/rendered.yaml"));

        List<String> problems = new Checks(copy).run();
        assertThat(problems).as("in the output of kubectl kustomize %s:%n%s", entryPoint, String.join("\n", problems))
                .isEmpty();
    }

    /**
     * overlays/exactly-once is deploy/kubernetes with the Deployment turned into a StatefulSet (stable pod names, so
     * stable transactional.ids) and TRANSACTIONS_DELIVERY=exactly-once in the ConfigMap: everything else (pod
     * template, selector, replicas, ConfigMap, Secret, Service, PodDisruptionBudget, ServiceMonitor) renders the same.
     */
    @Test
    void theExactlyOnceOverlayRendersTheSameAsAStatefulSet(@TempDir Path output) throws IOException {
        Map<String, JsonNode> base = rendered("deploy/kubernetes", output.resolve("base.yaml"));
        Map<String, JsonNode> overlay = rendered("deploy/kubernetes/overlays/exactly-once",
                output.resolve("exactly-once.yaml"));

        JsonNode deployment = base.remove("Deployment/transaction-processor");
        assertThat(deployment).as("Deployment/transaction-processor in %s", base.keySet()).isNotNull();
        base.put("StatefulSet/transaction-processor", asStatefulSet(deployment));
        ObjectNode configMap = base.get("ConfigMap/transaction-processor-config").deepCopy();
        ((ObjectNode) configMap.path("data")).put("TRANSACTIONS_DELIVERY", "exactly-once");
        base.put("ConfigMap/transaction-processor-config", configMap);

        assertThat(overlay.keySet()).containsExactlyInAnyOrderElementsOf(base.keySet());
        for (Map.Entry<String, JsonNode> resource : base.entrySet()) {
            JsonNode actual = overlay.get(resource.getKey());
            // JsonNode equality ignores the order of fields.
            assertThat(actual.equals(resource.getValue()))
                    .as("%s rendered by overlays/exactly-once:%n%s%nexpected:%n%s", resource.getKey(),
                            YAML.writeValueAsString(actual), YAML.writeValueAsString(resource.getValue()))
                    .isTrue();
        }
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

    /** The resources {@code kubectl kustomize} renders for an entry point, by kind/name. */
    private static Map<String, JsonNode> rendered(String entryPoint, Path output) throws IOException {
        kustomize(ROOT.resolve(entryPoint), output);
        Map<String, JsonNode> resources = new LinkedHashMap<>();
        for (Object document : YAML.readerFor(JsonNode.class).readValues(output.toFile()).readAll()) {
            JsonNode node = (JsonNode) document;
            if (node != null && node.isObject()) {
                String key = node.path("kind").asText() + "/" + node.path("metadata").path("name").asText();
                assertThat(resources.put(key, node)).as("%s rendered twice by %s", key, entryPoint).isNull();
            }
        }
        return resources;
    }

    /** Runs {@code kubectl kustomize}, or skips the test where kubectl is not installed. */
    private static void kustomize(Path directory, Path output) throws IOException {
        Path errors = Files.createTempFile("kustomize", ".err");
        Process process = null;
        try {
            try {
                process = new ProcessBuilder("kubectl", "kustomize", directory.toString())
                        .redirectOutput(output.toFile()).redirectError(errors.toFile()).start();
            } catch (IOException e) {
                Assumptions.abort("kubectl is not installed (" + e.getMessage() + "); the files as written are"
                        + " checked by the other tests");
            }
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("kubectl kustomize " + directory + " did not finish within 120 s");
            }
            assertThat(process.exitValue()).as("kubectl kustomize %s: %s", directory, Files.readString(errors))
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

    static Stream<Arguments> breakages() {
        String deployment = "deploy/kubernetes/base/deployment.yaml";
        String configMap = "deploy/kubernetes/base/configmap.yaml";
        String service = "deploy/kubernetes/base/service.yaml";
        String monitor = "deploy/kubernetes/components/monitoring/servicemonitor.yaml";
        String scaledObject = SCALED_OBJECT;
        String baseKustomization = "deploy/kubernetes/base/kustomization.yaml";
        String task = "deploy/ecs/task-definition.json";
        String ecsService = "deploy/ecs/service.json";
        String properties = "src/main/resources/application.properties";
        String dockerfile = "src/main/docker/Dockerfile.jvm";
        String groupIdEntry = "TRANSACTIONS_GROUP_ID: transaction-processor";
        String ecsGroupIdEntry = "{ \"name\": \"TRANSACTIONS_GROUP_ID\", \"value\": \"transaction-processor\" },";
        String ecsExactlyOnce = "{ \"name\": \"TRANSACTIONS_DELIVERY\", \"value\": \"exactly-once\" },";
        return Stream.of(
                Arguments.of("grace period longer than the drain's", deployment, "terminationGracePeriodSeconds: 30",
                        "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds=60"),
                Arguments.of("a preStop sleep eats into the grace period", deployment, "          envFrom:\n",
                        "          lifecycle:\n            preStop:\n              exec:\n"
                                + "                command: [\"sleep\", \"5\"]\n          envFrom:\n",
                        "preStop"),
                Arguments.of("DRAIN_GRACE_PERIOD in the ConfigMap", configMap, "DRAIN_GRACE_PERIOD: 30s",
                        "DRAIN_GRACE_PERIOD: 45s", "data.DRAIN_GRACE_PERIOD=45s"),
                Arguments.of("hand-off reserve as long as the grace period", configMap, "DRAIN_HAND_OFF_RESERVE: 4s",
                        "DRAIN_HAND_OFF_RESERVE: 30s", "DRAIN_HAND_OFF_RESERVE"),
                Arguments.of("QUARKUS_HTTP_PORT in the ConfigMap", configMap, "QUARKUS_HTTP_PORT: \"8080\"",
                        "QUARKUS_HTTP_PORT: \"8081\"", "data.QUARKUS_HTTP_PORT=8081"),
                Arguments.of("container port", deployment, "containerPort: 8080", "containerPort: 9090",
                        "containerPort=9090"),
                Arguments.of("readiness path", deployment, "path: /q/health/ready", "path: /health/ready",
                        "readinessProbe.httpGet.path=/health/ready"),
                Arguments.of("liveness path", deployment, "path: /q/health/live", "path: /q/health/ready",
                        "livenessProbe.httpGet.path=/q/health/ready"),
                Arguments.of("probe port", deployment, "port: http", "port: 9000", "readinessProbe.httpGet.port=9000"),
                Arguments.of("Service target port", service, "targetPort: http", "targetPort: metrics",
                        "targetPort=metrics"),
                Arguments.of("ServiceMonitor port", monitor, "- port: http", "- port: web", "endpoints[0].port=web"),
                Arguments.of("ServiceMonitor path", monitor, "path: /q/metrics", "path: /metrics",
                        "endpoints[0].path=/metrics"),
                Arguments.of("KEDA consumer group", scaledObject, "consumerGroup: transaction-processor",
                        "consumerGroup: transaction-processors", "consumerGroup=transaction-processors"),
                Arguments.of("KEDA target of another kind", scaledObject, SCALE_TARGET,
                        SCALE_TARGET + "\n    kind: StatefulSet", "no StatefulSet of that name"),
                Arguments.of("kustomization lists a missing file", baseKustomization, "- poddisruptionbudget.yaml",
                        "- pdb.yaml", "resources: pdb.yaml"),
                Arguments.of("ECS stopTimeout", task, "\"stopTimeout\": 30", "\"stopTimeout\": 20", "stopTimeout=20"),
                Arguments.of("ECS stopTimeout above Fargate's limit", task, "\"stopTimeout\": 30",
                        "\"stopTimeout\": 150", "at most 120"),
                Arguments.of("ECS DRAIN_GRACE_PERIOD", task, "\"DRAIN_GRACE_PERIOD\", \"value\": \"30s\"",
                        "\"DRAIN_GRACE_PERIOD\", \"value\": \"PT25S\"", "environment.DRAIN_GRACE_PERIOD=PT25S"),
                Arguments.of("ECS container port", task, "\"containerPort\": 8080", "\"containerPort\": 8081",
                        "containerPort=8081"),
                Arguments.of("ECS health check port", task, "/dev/tcp/127.0.0.1/8080", "/dev/tcp/127.0.0.1/8081",
                        "healthCheck.command"),
                Arguments.of("ECS service's task definition", ecsService,
                        "\"taskDefinition\": \"transaction-processor\"", "\"taskDefinition\": \"other\"",
                        "taskDefinition=other"),
                Arguments.of("grace period in application.properties", properties, "",
                        "\ndrain.grace-period=45s\n", "drain.grace-period=45s"),
                Arguments.of("HTTP port in application.properties", properties, "", "\nquarkus.http.port=9090\n",
                        "quarkus.http.port=9090"),
                Arguments.of("EXPOSE", dockerfile, "EXPOSE 8080", "EXPOSE 8081", "EXPOSE"),
                Arguments.of("shell-form ENTRYPOINT", dockerfile,
                        "ENTRYPOINT [ \"/opt/jboss/container/java/run/run-java.sh\" ]",
                        "ENTRYPOINT /opt/jboss/container/java/run/run-java.sh", "ENTRYPOINT"),
                Arguments.of("STOPSIGNAL", dockerfile, "STOPSIGNAL SIGTERM", "STOPSIGNAL SIGINT", "STOPSIGNAL"),
                Arguments.of("floating base image", dockerfile, "openjdk-17-runtime:1.24", "openjdk-17-runtime:latest",
                        "FROM"),
                Arguments.of("image user and pod user", dockerfile, "USER 185", "USER 1001", "runAsUser=185"),
                Arguments.of("one transactional.id for every pod", configMap, groupIdEntry,
                        groupIdEntry + "\n  TRANSACTIONS_TRANSACTIONAL_ID: transaction-processor-1",
                        "TRANSACTIONS_TRANSACTIONAL_ID=transaction-processor-1"),
                Arguments.of("exactly once, transaction timeout within a revocation drain", configMap, groupIdEntry,
                        groupIdEntry
                                + "\n  TRANSACTIONS_DELIVERY: exactly-once\n  TRANSACTIONS_TRANSACTION_TIMEOUT: 8s",
                        "TRANSACTIONS_TRANSACTION_TIMEOUT=8s"),
                Arguments.of("ECS: one transactional.id for every task", task, ecsGroupIdEntry,
                        ecsGroupIdEntry + " { \"name\": \"TRANSACTIONS_TRANSACTIONAL_ID\", \"value\": \"tp\" },",
                        "environment.TRANSACTIONS_TRANSACTIONAL_ID"),
                Arguments.of("ECS: exactly once, transaction timeout within two commit intervals", task,
                        ecsGroupIdEntry, ecsGroupIdEntry + ecsExactlyOnce
                                + " { \"name\": \"TRANSACTIONS_COMMIT_INTERVAL\", \"value\": \"8s\" },",
                        "twice TRANSACTIONS_COMMIT_INTERVAL=8s"),
                Arguments.of("ECS: exactly once, one hostname for every task", task, "\"environment\": [",
                        "\"hostname\": \"transaction-processor\", \"environment\": [ " + ecsExactlyOnce,
                        "hostname=transaction-processor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aDeliberatelyInconsistentCopyFailsNamingTheFileAndTheField(String breakage, String file, String from,
            String to, String expected, @TempDir Path copy) throws IOException {
        copyDeploymentFiles(copy);
        Path target = copy.resolve(file);
        String text = Files.readString(target);
        if (from.isEmpty()) {
            text = text + to;
        } else {
            assertThat(text).as("%s contains %s", file, from).contains(from);
            text = text.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to));
        }
        Files.writeString(target, text);

        List<String> problems = new Checks(copy).run();
        assertThat(problems).as("problems found after breaking %s (%s)", file, breakage)
                .anySatisfy(problem -> assertThat(problem).contains(file).contains(expected));
    }

    /**
     * A StatefulSet (overlays/exactly-once, where only the rendered output has one) gets the Deployment's checks,
     * and its serviceName must name a Service that selects its pods. Shown without kubectl: the base's Deployment,
     * turned into a StatefulSet as the overlay turns it, passes; each field broken is named.
     */
    @Test
    void theBaseAsAStatefulSetIsConsistent(@TempDir Path copy) throws IOException {
        copyDeploymentFiles(copy);
        writeAsStatefulSet(copy, statefulSet -> {
        });
        assertThat(new Checks(copy).run()).isEmpty();
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
        copyDeploymentFiles(copy);
        JsonPointer field = JsonPointer.compile(pointer);
        writeAsStatefulSet(copy, statefulSet -> {
            ObjectNode parent = (ObjectNode) statefulSet.at(field.head());
            if (value == null) {
                parent.remove(field.last().getMatchingProperty());
            } else {
                parent.set(field.last().getMatchingProperty(), YAML.valueToTree(value));
            }
        });

        List<String> problems = new Checks(copy).run();
        assertThat(problems).as("problems found after breaking the StatefulSet (%s)", breakage)
                .anySatisfy(problem -> assertThat(problem).contains(DEPLOYMENT + " StatefulSet/transaction-processor")
                        .contains(expected));
    }

    /**
     * Replaces the copy's Deployment with {@link #asStatefulSet} of it, changed by {@code change}, and points the
     * KEDA component's ScaledObject at it (as overlays/exactly-once says to, to autoscale it).
     */
    private static void writeAsStatefulSet(Path copy, Consumer<ObjectNode> change) throws IOException {
        Path file = copy.resolve(DEPLOYMENT);
        ObjectNode statefulSet = asStatefulSet(YAML.readTree(file.toFile()));
        change.accept(statefulSet);
        YAML.writeValue(file.toFile(), statefulSet);
        Path scaledObject = copy.resolve(SCALED_OBJECT);
        String text = Files.readString(scaledObject);
        assertThat(text).contains(SCALE_TARGET);
        Files.writeString(scaledObject, text.replace(SCALE_TARGET, SCALE_TARGET + "\n    kind: StatefulSet"));
    }

    private static void copyDeploymentFiles(Path copy) {
        try (Stream<Path> files = Files.walk(ROOT.resolve("deploy"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                copyFile(file, copy);
            }
            copyFile(ROOT.resolve("src/main/resources/application.properties"), copy);
            copyFile(ROOT.resolve("src/main/docker/Dockerfile.jvm"), copy);
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
     * The checks, on the files under one root (the repository, or a copy of its deployment files). Collects every
     * problem rather than stopping at the first, so one run shows all that disagrees.
     */
    static final class Checks {

        private static final YAMLMapper YAML = new YAMLMapper();
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final String PROPERTIES = "src/main/resources/application.properties";
        private static final String DOCKERFILE = "src/main/docker/Dockerfile.jvm";
        /** Kubernetes' default when a pod does not set it. */
        private static final int DEFAULT_TERMINATION_GRACE_PERIOD = 30;
        private static final int FARGATE_MAX_STOP_TIMEOUT = 120;
        private static final Pattern SLEEP = Pattern.compile("\\bsleep\\s+(\\d+)\\b");
        /** The kinds whose pods run the service. */
        private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet");

        private final Path root;
        private final List<String> problems = new ArrayList<>();
        private final Properties properties = new Properties();
        /** The service's own value of each setting that must agree, with where it comes from. */
        private final Map<String, Setting> service = new LinkedHashMap<>();
        private String readinessPath;
        private String livenessPath;
        private String metricsPath;
        private Optional<Long> imageUser = Optional.empty();

        Checks(Path root) {
            this.root = root;
        }

        List<String> run() {
            serviceDefaults();
            dockerfile();
            kubernetes();
            ecs();
            return problems;
        }

        // ---- The service's side -------------------------------------------------------------------------------

        private void serviceDefaults() {
            try (Reader reader = Files.newBufferedReader(root.resolve(PROPERTIES))) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // The drain's settings: the code's default is the service's; application.properties is one more
            // place that may set them, and must then agree with it.
            defaultFromAnnotation("DRAIN_GRACE_PERIOD", DrainConfig.class, "gracePeriod", null);
            defaultFromAnnotation("DRAIN_HAND_OFF_RESERVE", DrainConfig.class, "handOffReserve", null);
            defaultFromAnnotation("DRAIN_EXIT_MARGIN", DrainConfig.class, "exitMargin", null);
            for (String name : List.of("DRAIN_GRACE_PERIOD", "DRAIN_HAND_OFF_RESERVE", "DRAIN_EXIT_MARGIN")) {
                String key = "drain." + name.substring("DRAIN_".length()).toLowerCase().replace('_', '-');
                for (String profiled : List.of(key, "%prod." + key)) {
                    if (properties.containsKey(profiled)) {
                        placeMustAgree(name, new Setting(expressionDefault(properties.getProperty(profiled)),
                                PROPERTIES + " " + profiled));
                    }
                }
            }
            // Names and the port: application.properties, where it sets them, is the service's default.
            defaultFromAnnotation("TRANSACTIONS_TOPIC", TransactionsConfig.class, "topic", "transactions.topic");
            defaultFromAnnotation("TRANSACTIONS_GROUP_ID", TransactionsConfig.class, "groupId",
                    "transactions.group-id");
            // Exactly once: the delivery mode and the three durations the transaction timeout is bounded by.
            defaultFromAnnotation("TRANSACTIONS_DELIVERY", TransactionsConfig.class, "delivery",
                    "transactions.delivery");
            defaultFromAnnotation("TRANSACTIONS_TRANSACTION_TIMEOUT", TransactionsConfig.class, "transactionTimeout",
                    "transactions.transaction-timeout");
            defaultFromAnnotation("TRANSACTIONS_COMMIT_INTERVAL", TransactionsConfig.class, "commitInterval",
                    "transactions.commit-interval");
            defaultFromAnnotation("DRAIN_REBALANCE_TIMEOUT", DrainConfig.class, "rebalanceTimeout",
                    "drain.rebalance-timeout");
            service.put("QUARKUS_HTTP_PORT", property("quarkus.http.port")
                    .orElse(new Setting("8080", "Quarkus' default quarkus.http.port")));
            property("kafka.bootstrap.servers").ifPresent(s -> service.put("KAFKA_BOOTSTRAP_SERVERS", s));
            reserveAndMarginFitInTheGracePeriod(Map.of(), "the service's defaults");
            exactlyOnceSettings(Map.of(), "the service's defaults");

            String nonApplicationRoot = resolve(
                    property("quarkus.http.root-path").map(Setting::value).orElse("/"),
                    property("quarkus.http.non-application-root-path").map(Setting::value).orElse("q"));
            String health = resolve(nonApplicationRoot,
                    property("quarkus.smallrye-health.root-path").map(Setting::value).orElse("health"));
            readinessPath = resolve(health,
                    property("quarkus.smallrye-health.readiness-path").map(Setting::value).orElse("ready"));
            livenessPath = resolve(health,
                    property("quarkus.smallrye-health.liveness-path").map(Setting::value).orElse("live"));
            metricsPath = resolve(nonApplicationRoot,
                    property("quarkus.micrometer.export.prometheus.path").map(Setting::value).orElse("metrics"));
        }

        /** The code's {@code @WithDefault}, or application.properties' value of {@code key} if it sets one. */
        private void defaultFromAnnotation(String env, Class<?> mapping, String method, String key) {
            try {
                WithDefault annotation = mapping.getMethod(method).getAnnotation(WithDefault.class);
                Setting fromCode = new Setting(annotation.value(),
                        mapping.getSimpleName() + "." + method + "() @WithDefault");
                service.put(env, key == null ? fromCode : property(key).orElse(fromCode));
            } catch (NoSuchMethodException e) {
                throw new AssertionError(mapping.getName() + " has no " + method + "()", e);
            }
        }

        private Optional<Setting> property(String key) {
            for (String profiled : List.of("%prod." + key, key)) {
                String value = properties.getProperty(profiled);
                if (value != null) {
                    return Optional.of(new Setting(expressionDefault(value.trim()), PROPERTIES + " " + profiled));
                }
            }
            return Optional.empty();
        }

        /** {@code ${ENV:default}} stands for its default here: the environment is what the manifests set. */
        private static String expressionDefault(String value) {
            Matcher expression = Pattern.compile("^\\$\\{[^:}]+:(.*)}$").matcher(value.trim());
            return expression.matches() ? expression.group(1) : value.trim();
        }

        private static String resolve(String base, String path) {
            if (path.startsWith("/")) {
                return path;
            }
            return (base.endsWith("/") ? base : base + "/") + path;
        }

        // ---- Dockerfile ----------------------------------------------------------------------------------------

        private void dockerfile() {
            Path file = root.resolve(DOCKERFILE);
            List<String> instructions = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : read(file).lines().toList()) {
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
            Setting port = service.get("QUARKUS_HTTP_PORT");
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
                            problems.add(DOCKERFILE + " FROM " + image
                                    + ": the base image needs an explicit version tag or digest, not latest");
                        }
                    }
                    case "EXPOSE" -> exposed |= List.of(argument.split("\\s+")).stream()
                            .map(p -> p.replace("/tcp", "")).anyMatch(port.value()::equals);
                    case "STOPSIGNAL" -> {
                        stopSignal = true;
                        if (!Set.of("SIGTERM", "TERM", "15").contains(argument.toUpperCase())) {
                            problems.add(DOCKERFILE + " STOPSIGNAL " + argument
                                    + ": the drain starts on SIGTERM; any other stop signal skips it");
                        }
                    }
                    case "ENTRYPOINT", "CMD" -> {
                        if (!argument.startsWith("[")) {
                            problems.add(DOCKERFILE + " " + keyword + " " + argument
                                    + ": shell form runs under /bin/sh -c, whose PID 1 shell never passes SIGTERM"
                                    + " on to the JVM; use the exec form [\"...\"]");
                        }
                    }
                    case "USER" -> {
                        String user = argument.split(":")[0];
                        if (user.matches("\\d+")) {
                            imageUser = Optional.of(Long.parseLong(user));
                        } else {
                            problems.add(DOCKERFILE + " USER " + argument
                                    + ": use a numeric uid, so that runAsNonRoot can verify it");
                        }
                    }
                    default -> {
                        // other instructions have nothing that must agree
                    }
                }
            }
            if (!exposed) {
                problems.add(DOCKERFILE + " EXPOSE does not list " + port.value() + " (QUARKUS_HTTP_PORT from "
                        + port.where() + ")");
            }
            if (!stopSignal) {
                problems.add(DOCKERFILE + " has no STOPSIGNAL SIGTERM");
            }
        }

        // ---- Kubernetes ----------------------------------------------------------------------------------------

        private void kubernetes() {
            Path directory = root.resolve("deploy/kubernetes");
            if (!Files.isDirectory(directory)) {
                problems.add("deploy/kubernetes: missing");
                return;
            }
            List<Doc> docs = new ArrayList<>();
            for (Path file : files(directory, ".yaml", ".yml")) {
                try {
                    for (JsonNode node : YAML.readerFor(JsonNode.class).readValues(file.toFile()).readAll()
                            .stream().map(JsonNode.class::cast).toList()) {
                        if (node != null && node.isObject()) {
                            docs.add(new Doc(relative(file), file, node));
                        }
                    }
                } catch (IOException e) {
                    problems.add(relative(file) + ": not valid YAML: " + e.getMessage());
                }
            }
            Map<String, Doc> configMaps = new HashMap<>();
            for (Doc doc : docs) {
                switch (doc.kind()) {
                    case "Kustomization", "Component" -> kustomization(doc);
                    case "ConfigMap" -> {
                        configMaps.put(doc.name(), doc);
                        doc.node().path("data").properties().forEach(entry -> placeMustAgree(entry.getKey(),
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
            Map<String, String> labels = labels(doc.node().path("spec").path("template").path("metadata")
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
                Setting port = env.getOrDefault("QUARKUS_HTTP_PORT", service.get("QUARKUS_HTTP_PORT"));
                ports = containerPorts(doc, container, prefix, port);
                probe(doc, container, prefix, "readinessProbe", readinessPath, true, ports, port);
                probe(doc, container, prefix, "livenessProbe", livenessPath, true, ports, port);
                probe(doc, container, prefix, "startupProbe", livenessPath, false, ports, port);

                // The platform's SIGTERM-to-SIGKILL time for the service is the grace period less the preStop.
                int preStop = preStopSeconds(doc, container, prefix);
                Setting drain = env.getOrDefault("DRAIN_GRACE_PERIOD", service.get("DRAIN_GRACE_PERIOD"));
                Duration expected = Duration.ofSeconds(grace - preStop);
                if (!duration(drain).equals(expected)) {
                    problems.add(graceWhere + (preStop > 0
                            ? " with a preStop of " + preStop + " s (" + prefix
                                    + ".lifecycle.preStop)"
                            : "") + " disagrees with DRAIN_GRACE_PERIOD=" + drain.value()
                            + " (" + drain.where() + "): the drain must be budgeted for exactly the time from"
                            + " SIGTERM to SIGKILL, " + expected.toSeconds() + " s");
                }
                reserveAndMarginFitInTheGracePeriod(env, doc.where(prefix));
                exactlyOnceSettings(env, doc.where(prefix));
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
                    placeMustAgree(variable.path("name").asText(), setting);
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
                        + " disagrees with the service's " + path + " (" + PROPERTIES + " and Quarkus' defaults)");
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
                problems.add(doc.where(field + "=" + runAsUser.asText()) + " disagrees with " + DOCKERFILE
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
                Setting http = pod.get().env().getOrDefault("QUARKUS_HTTP_PORT", service.get("QUARKUS_HTTP_PORT"));
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
            Optional<Doc> service = docs.stream().filter(d -> d.kind().equals("Service") && d.name().equals(name))
                    .findFirst();
            if (service.isEmpty()) {
                problems.add(pod.doc().where("spec.serviceName=" + name) + ": no Service of that name");
                return;
            }
            Map<String, String> selector = labels(service.get().node().path("spec").path("selector"));
            if (selector.isEmpty() || !pod.labels().entrySet().containsAll(selector.entrySet())) {
                problems.add(pod.doc().where("spec.serviceName=" + name) + ": " + service.get().where("selector "
                        + selector) + " does not select this StatefulSet's pods");
            }
        }

        private Optional<PodSpec> selectsAPod(Doc doc, JsonNode matchLabels, List<PodSpec> pods) {
            Map<String, String> selector = labels(matchLabels);
            Optional<PodSpec> selected = pods.stream()
                    .filter(pod -> !selector.isEmpty() && pod.labels().entrySet().containsAll(selector.entrySet()))
                    .findFirst();
            if (selected.isEmpty()) {
                problems.add(doc.where("selector " + selector) + ": selects no Deployment's or StatefulSet's pods");
            }
            return selected;
        }

        private void serviceMonitor(Doc doc, List<Doc> docs) {
            Map<String, String> selector = labels(doc.node().path("spec").path("selector").path("matchLabels"));
            List<Doc> services = docs.stream().filter(d -> d.kind().equals("Service"))
                    .filter(d -> labels(d.node().path("metadata").path("labels")).entrySet()
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
            if (!path.equals(metricsPath)) {
                problems.add(doc.where(field + ".path=" + path) + " disagrees with the service's metrics path "
                        + metricsPath);
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
            Setting expected = pod.env().getOrDefault(variable, service.get(variable));
            String actual = metadata.path(key).asText(null);
            if (expected != null && actual != null && !actual.equals(expected.value())) {
                problems.add(doc.where(field + "=" + actual) + " disagrees with " + variable + "="
                        + expected.value() + " (" + expected.where() + ")");
            }
        }

        // ---- Amazon ECS ----------------------------------------------------------------------------------------

        private void ecs() {
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
                    placeMustAgree(name, setting);
                    env.put(name, setting);
                }
                reserveAndMarginFitInTheGracePeriod(env, taskFile + " " + prefix);
                exactlyOnceSettings(env, taskFile + " " + prefix);
                if (container.has("hostname") && exactlyOnce(env)) {
                    problems.add(taskFile + " " + prefix + ".hostname=" + container.path("hostname").asText()
                            + ": in exactly-once delivery every task of the service would have this HOSTNAME, and"
                            + " so the same default transactional.id; leave it unset");
                }
                Setting drain = env.getOrDefault("DRAIN_GRACE_PERIOD", service.get("DRAIN_GRACE_PERIOD"));
                if (!container.has("stopTimeout")) {
                    problems.add(taskFile + " " + prefix + ".stopTimeout: missing; set it to DRAIN_GRACE_PERIOD="
                            + drain.value() + " in seconds");
                } else {
                    int stopTimeout = container.path("stopTimeout").asInt();
                    String where = taskFile + " " + prefix + ".stopTimeout=" + stopTimeout;
                    if (!duration(drain).equals(Duration.ofSeconds(stopTimeout))) {
                        problems.add(where + " disagrees with DRAIN_GRACE_PERIOD=" + drain.value() + " ("
                                + drain.where() + "): ECS sends SIGKILL stopTimeout seconds after SIGTERM");
                    }
                    if (fargate && stopTimeout > FARGATE_MAX_STOP_TIMEOUT) {
                        problems.add(where + ": Fargate allows at most " + FARGATE_MAX_STOP_TIMEOUT + " s");
                    }
                }
                Setting port = env.getOrDefault("QUARKUS_HTTP_PORT", service.get("QUARKUS_HTTP_PORT"));
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
                } else if (!text.contains(livenessPath)
                        || !Pattern.compile("(?<!\\d)" + Pattern.quote(port.value()) + "(?!\\d)").matcher(text)
                                .find()) {
                    problems.add(taskFile + " " + prefix + ".healthCheck.command=" + text + " does not probe "
                            + livenessPath + " on QUARKUS_HTTP_PORT=" + port.value() + " (" + port.where()
                            + "); liveness, because readiness is DOWN for the whole drain");
                }
                if (container.has("user") && imageUser.isPresent()
                        && !container.path("user").asText().split(":")[0].equals(imageUser.get().toString())) {
                    problems.add(taskFile + " " + prefix + ".user=" + container.path("user").asText()
                            + " disagrees with " + DOCKERFILE + " USER " + imageUser.get());
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
                return JSON.readTree(path.toFile());
            } catch (IOException e) {
                problems.add(file + ": not valid JSON: " + e.getMessage());
                return null;
            }
        }

        // ---- Rules shared by all places ------------------------------------------------------------------------

        /** A place that sets one of the settings that must agree sets it to the service's own value. */
        private void placeMustAgree(String name, Setting place) {
            Setting own = service.get(name);
            if (own == null || !Set.of("DRAIN_GRACE_PERIOD", "DRAIN_HAND_OFF_RESERVE", "DRAIN_EXIT_MARGIN",
                    "QUARKUS_HTTP_PORT").contains(name)) {
                return;
            }
            boolean agrees = name.equals("QUARKUS_HTTP_PORT")
                    ? own.value().equals(place.value())
                    : durationOrNull(place) != null && durationOrNull(place).equals(durationOrNull(own));
            if (!agrees) {
                problems.add(place.where() + "=" + place.value() + " disagrees with " + own.where() + "="
                        + own.value() + "; change both, or neither");
            }
        }

        /** The service refuses to start otherwise (ProcessExit): the in-flight records would get no time. */
        private void reserveAndMarginFitInTheGracePeriod(Map<String, Setting> env, String where) {
            Setting grace = env.getOrDefault("DRAIN_GRACE_PERIOD", service.get("DRAIN_GRACE_PERIOD"));
            Setting reserve = env.getOrDefault("DRAIN_HAND_OFF_RESERVE", service.get("DRAIN_HAND_OFF_RESERVE"));
            Setting margin = env.getOrDefault("DRAIN_EXIT_MARGIN", service.get("DRAIN_EXIT_MARGIN"));
            if (durationOrNull(grace) == null || durationOrNull(reserve) == null || durationOrNull(margin) == null) {
                return; // reported by placeMustAgree
            }
            if (duration(reserve).plus(duration(margin)).compareTo(duration(grace)) >= 0) {
                problems.add(where + ": DRAIN_HAND_OFF_RESERVE=" + reserve.value() + " (" + reserve.where()
                        + ") + DRAIN_EXIT_MARGIN=" + margin.value() + " (" + margin.where()
                        + ") leave nothing of DRAIN_GRACE_PERIOD=" + grace.value() + " (" + grace.where() + ")");
            }
        }

        /**
         * Exactly once: two running instances must never share a transactional.id, so a place that runs several
         * (every Deployment, StatefulSet and ECS service here) must not set one fixed value for all of them; a
         * Kubernetes {@code $(VAR)} reference (to the pod's name, say) is per pod. And the transaction timeout is
         * longer than twice the commit interval (the service refuses to start otherwise) and than a revocation
         * drain plus a commit interval (the transaction open when the drain began commits only at its end).
         */
        private void exactlyOnceSettings(Map<String, Setting> env, String where) {
            Setting id = env.get("TRANSACTIONS_TRANSACTIONAL_ID");
            if (id != null && !id.value().contains("$(")) {
                problems.add(where + ": TRANSACTIONS_TRANSACTIONAL_ID=" + id.value() + " (" + id.where()
                        + ") is one transactional.id for every instance; two running instances must never share"
                        + " one (the later fences the earlier, which exits). Leave it unset: {group-id}-{HOSTNAME}");
            }
            if (!exactlyOnce(env)) {
                return;
            }
            Setting timeout = setting(env, "TRANSACTIONS_TRANSACTION_TIMEOUT");
            Setting interval = setting(env, "TRANSACTIONS_COMMIT_INTERVAL");
            Setting rebalance = setting(env, "DRAIN_REBALANCE_TIMEOUT");
            if (durationOrNull(timeout) == null || durationOrNull(interval) == null
                    || durationOrNull(rebalance) == null) {
                return;
            }
            if (duration(timeout).compareTo(duration(interval).multipliedBy(2)) <= 0) {
                problems.add(where + ": TRANSACTIONS_TRANSACTION_TIMEOUT=" + timeout.value() + " (" + timeout.where()
                        + ") is not longer than twice TRANSACTIONS_COMMIT_INTERVAL=" + interval.value() + " ("
                        + interval.where() + "): the service refuses to start");
            }
            if (duration(timeout).compareTo(duration(rebalance).plus(duration(interval))) <= 0) {
                problems.add(where + ": TRANSACTIONS_TRANSACTION_TIMEOUT=" + timeout.value() + " (" + timeout.where()
                        + ") is not longer than DRAIN_REBALANCE_TIMEOUT=" + rebalance.value() + " ("
                        + rebalance.where() + ") + TRANSACTIONS_COMMIT_INTERVAL=" + interval.value() + " ("
                        + interval.where() + "): the broker would abort the transaction a revocation drain commits"
                        + " at its end");
            }
        }

        private boolean exactlyOnce(Map<String, Setting> env) {
            return setting(env, "TRANSACTIONS_DELIVERY").value().trim().toLowerCase(Locale.ROOT)
                    .replace('_', '-').equals("exactly-once");
        }

        /** The place's value of a setting, or the service's own. */
        private Setting setting(Map<String, Setting> env, String name) {
            return env.getOrDefault(name, service.get(name));
        }

        private Duration durationOrNull(Setting setting) {
            try {
                return duration(setting);
            } catch (RuntimeException e) {
                problems.add(setting.where() + "=" + setting.value() + ": not a duration");
                return null;
            }
        }

        /**
         * A duration as the service reads it (Quarkus' converter): a bare number is seconds, {@code ms} is
         * milliseconds, {@code s}, {@code m}, {@code h} and {@code d} suffixes, or ISO-8601 ({@code PT30S}).
         */
        static Duration duration(Setting setting) {
            String value = setting.value().trim();
            if (value.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(value));
            }
            if (value.matches("\\d+ms")) {
                return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
            }
            if (value.matches("\\d+[dD]")) {
                return Duration.ofDays(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            if (value.startsWith("P") || value.startsWith("p")) {
                return Duration.parse(value);
            }
            return Duration.parse("PT" + value);
        }

        private static Map<String, String> labels(JsonNode node) {
            Map<String, String> labels = new HashMap<>();
            node.properties().forEach(entry -> labels.put(entry.getKey(), entry.getValue().asText()));
            return labels;
        }

        private List<Path> files(Path directory, String... extensions) {
            try (Stream<Path> files = Files.walk(directory)) {
                return files.filter(Files::isRegularFile)
                        .filter(file -> Stream.of(extensions).anyMatch(file.toString()::endsWith)).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String read(Path file) {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String relative(Path file) {
            return root.relativize(file).toString().replace('\\', '/');
        }
    }

    /** A value and where it is set: a file and a field, or the service's own default. */
    record Setting(String value, String where) {
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
