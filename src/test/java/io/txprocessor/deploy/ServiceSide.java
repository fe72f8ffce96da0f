package io.txprocessor.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.smallrye.config.WithDefault;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.drain.HandOffReserve;
import io.txprocessor.transaction.InputConfig;
import io.txprocessor.transaction.OutputConfig;
import io.txprocessor.transaction.TransactionsConfig;
import io.txprocessor.transaction.WorkConfig;

/**
 * The service's side of what must agree with the places it is deployed from, read from its own sources under one
 * root: {@link DrainConfig}'s and {@link TransactionsConfig}'s groups' {@code @WithDefault}s, application.properties, and
 * Quarkus' defaults for what neither sets; and the rules every place (a pod, an ECS task) is held to, which add to
 * the shared list of problems.
 */
final class ServiceSide {

    private final Path root;
    private final List<String> problems;
    private final Properties properties = new Properties();
    /** The service's own value of each setting that must agree, with where it comes from. */
    private final Map<String, Setting> defaults = new LinkedHashMap<>();
    private String readinessPath;
    private String livenessPath;
    private String metricsPath;

    ServiceSide(Path root, List<String> problems) {
        this.root = root;
        this.problems = problems;
        read();
    }

    private void read() {
        try (Reader reader = Files.newBufferedReader(root.resolve(DeployFiles.PROPERTIES))) {
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
                            DeployFiles.PROPERTIES + " " + profiled));
                }
            }
        }
        // Names and the port: application.properties, where it sets them, is the service's default.
        defaultFromAnnotation("TRANSACTIONS_TOPIC", InputConfig.class, "topic", "transactions.topic");
        defaultFromAnnotation("TRANSACTIONS_GROUP_ID", InputConfig.class, "groupId",
                "transactions.group-id");
        // Exactly once: the delivery mode and the three durations the transaction timeout is bounded by.
        defaultFromAnnotation("TRANSACTIONS_DELIVERY", OutputConfig.class, "delivery",
                "transactions.delivery");
        defaultFromAnnotation("TRANSACTIONS_TRANSACTION_TIMEOUT", OutputConfig.class, "transactionTimeout",
                "transactions.transaction-timeout");
        defaultFromAnnotation("TRANSACTIONS_COMMIT_INTERVAL", WorkConfig.class, "commitInterval",
                "transactions.commit-interval");
        defaultFromAnnotation("DRAIN_REBALANCE_TIMEOUT", DrainConfig.class, "rebalanceTimeout",
                "drain.rebalance-timeout");
        defaults.put("QUARKUS_HTTP_PORT", property("quarkus.http.port")
                .orElse(new Setting("8080", "Quarkus' default quarkus.http.port")));
        property("kafka.bootstrap.servers").ifPresent(s -> defaults.put("KAFKA_BOOTSTRAP_SERVERS", s));
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
            defaults.put(env, key == null ? fromCode : property(key).orElse(fromCode));
        } catch (NoSuchMethodException e) {
            throw new AssertionError(mapping.getName() + " has no " + method + "()", e);
        }
    }

    private Optional<Setting> property(String key) {
        for (String profiled : List.of("%prod." + key, key)) {
            String value = properties.getProperty(profiled);
            if (value != null) {
                return Optional
                        .of(new Setting(expressionDefault(value.trim()), DeployFiles.PROPERTIES + " " + profiled));
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

    /** A place that sets one of the settings that must agree sets it to the service's own value. */
    void placeMustAgree(String name, Setting place) {
        Setting own = defaults.get(name);
        if (own == null || !Set.of("DRAIN_GRACE_PERIOD", "DRAIN_HAND_OFF_RESERVE", "DRAIN_EXIT_MARGIN",
                "QUARKUS_HTTP_PORT").contains(name)) {
            return;
        }
        boolean agrees = name.equals("QUARKUS_HTTP_PORT")
                ? own.value().equals(place.value())
                : auto(own) || auto(place)
                        ? auto(own) && auto(place)
                        : durationOrNull(place) != null && durationOrNull(place).equals(durationOrNull(own));
        if (!agrees) {
            problems.add(place.where() + "=" + place.value() + " disagrees with " + own.where() + "="
                    + own.value() + "; change both, or neither");
        }
    }

    /** The service refuses to start otherwise (ProcessExit): the in-flight records would get no time. */
    void reserveAndMarginFitInTheGracePeriod(Map<String, Setting> env, String where) {
        Setting grace = setting(env, "DRAIN_GRACE_PERIOD");
        Setting reserve = setting(env, "DRAIN_HAND_OFF_RESERVE");
        Setting margin = setting(env, "DRAIN_EXIT_MARGIN");
        if (durationOrNull(grace) == null || !auto(reserve) && durationOrNull(reserve) == null
                || durationOrNull(margin) == null) {
            return; // reported by placeMustAgree
        }
        // The auto reserve is at least its floor: the service refuses to start when even that does not fit.
        Duration least = auto(reserve) ? HandOffReserve.FLOOR : duration(reserve);
        if (least.plus(duration(margin)).compareTo(duration(grace)) >= 0) {
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
    void exactlyOnceSettings(Map<String, Setting> env, String where) {
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

    boolean exactlyOnce(Map<String, Setting> env) {
        return setting(env, "TRANSACTIONS_DELIVERY").value().trim().toLowerCase(Locale.ROOT)
                .replace('_', '-').equals("exactly-once");
    }

    /** The place's value of a setting, or the service's own. */
    Setting setting(Map<String, Setting> env, String name) {
        return env.getOrDefault(name, own(name));
    }

    /** The service's own value of a setting, with where it comes from; null for one it has no default of. */
    Setting own(String name) {
        return defaults.get(name);
    }

    String readinessPath() {
        return readinessPath;
    }

    String livenessPath() {
        return livenessPath;
    }

    String metricsPath() {
        return metricsPath;
    }

    /** {@code drain.hand-off-reserve=auto}: sized by the service at each drain. */
    static boolean auto(Setting setting) {
        return setting.value().trim().equalsIgnoreCase("auto");
    }

    Duration durationOrNull(Setting setting) {
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
}
