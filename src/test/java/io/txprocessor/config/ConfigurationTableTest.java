package io.txprocessor.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quarkus.vertx.http.runtime.VertxHttpConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;

/**
 * The README's configuration table against the code: every property of every {@code @ConfigMapping} interface in
 * src/main/java has a row whose default is the property's {@code @WithDefault} (or, where there is none, the
 * documented computed default), and every row names a property that exists: one of those mappings', one set in
 * application.properties (with that value as its default), or one of Quarkus' own mappings named below. No
 * broker, no Quarkus: the names are derived the way SmallRye Config derives them (the annotation's prefix, the
 * method names in kebab case, nested groups, {@code Optional} unwrapped).
 */
class ConfigurationTableTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Pattern ROW = Pattern
            .compile("^\\|\\s*`([^`]+)`\\s*\\|\\s*([^|]*?)\\s*\\|.*\\|\\s*$");

    /**
     * Properties without a {@code @WithDefault}: what the table says instead. Unset optional properties read
     * "none"; a default the code computes is named here as the table documents it.
     */
    private static final Map<String, String> COMPUTED_DEFAULTS = Map.of(
            // CoreLock.maxPendingBytes: Runtime.maxMemory() / 4 when unset
            "transactions.max-pending-bytes", "a quarter of the heap",
            "transactions.max-pending-records", "2000 (exactly once 20000), or 8 × max-concurrency when more",
            // DeliveryChoice.transactionalId: the group id and the instance name when unset
            "transactions.transactional-id", "{group-id}-{HOSTNAME}");

    /** Quarkus' own mappings whose properties the table may document. */
    private static final List<Class<?>> QUARKUS_MAPPINGS = List.of(VertxHttpConfig.class);

    @Test
    void everyPropertyOfEveryConfigMappingIsInTheTableWithItsActualDefault() {
        Map<String, String> rows = table(readme());
        Map<String, Optional<String>> properties = properties(projectMappings());
        assertThat(properties).as("properties of the @ConfigMapping interfaces").isNotEmpty();
        List<String> problems = new ArrayList<>();
        properties.forEach((property, declared) -> {
            String expected = declared.map(value -> "`" + value + "`")
                    .orElse(COMPUTED_DEFAULTS.getOrDefault(property, "none"));
            String documented = rows.get(property);
            if (documented == null) {
                problems.add(property + ": no row in the README's configuration table");
            } else if (!documented.equals(expected)) {
                problems.add(property + ": the table says " + documented + ", the code " + expected);
            }
        });
        assertThat(problems).as("the configuration table against the code:%n%s", String.join("\n", problems))
                .isEmpty();
        assertThat(properties.keySet()).containsAll(COMPUTED_DEFAULTS.keySet());
    }

    @Test
    void everyRowOfTheTableNamesAPropertyThatExistsWithItsActualDefault() {
        Map<String, String> rows = table(readme());
        Map<String, Optional<String>> ours = properties(projectMappings());
        Map<String, Optional<String>> quarkus = properties(QUARKUS_MAPPINGS);
        Properties application = applicationProperties();
        List<String> problems = new ArrayList<>();
        rows.forEach((property, documented) -> {
            if (ours.containsKey(property)) {
                return; // checked against the code by the test above
            }
            // What the packaged service runs with: the prod profile's value where there is one.
            String value = application.getProperty("%prod." + property, application.getProperty(property));
            if (value == null) {
                value = quarkus.getOrDefault(property, Optional.empty()).orElse(null);
            }
            if (value == null) {
                problems.add(property + ": not a property of the service's mappings, not set in "
                        + "application.properties, not one of Quarkus' mappings " + QUARKUS_MAPPINGS);
            } else if (!documented.equals("`" + value + "`") && !documented.startsWith("`" + value + "` (")) {
                problems.add(property + ": the table says " + documented + ", the service `" + value + "`");
            }
        });
        assertThat(problems).as("rows of the configuration table:%n%s", String.join("\n", problems)).isEmpty();
    }

    @Test
    void propertyNamesAreDerivedAsSmallRyeConfigDerivesThem() {
        assertThat(kebab("maxPendingRecords")).isEqualTo("max-pending-records");
        assertThat(kebab("topic")).isEqualTo("topic");
        assertThat(kebab("maxIdLength")).isEqualTo("max-id-length");
        assertThat(kebab("sslURLPath")).isEqualTo("ssl-url-path");
        assertThat(properties(List.of(Example.class))).containsOnlyKeys("example.plain", "example.maybe",
                "example.renamed", "example.group.inner", "example.flat", "example.numbers");
        assertThat(properties(List.of(Example.class)).get("example.group.inner")).contains("7");
    }

    /** Every shape of method the derivation handles. */
    @ConfigMapping(prefix = "example")
    interface Example {
        @WithDefault("1")
        int plain();

        Optional<String> maybe();

        @WithName("renamed")
        @WithDefault("x")
        String original();

        Group group();

        @WithParentName
        Flat flatGroup();

        @WithDefault("1,2")
        List<Integer> numbers();

        interface Group {
            @WithDefault("7")
            int inner();
        }

        interface Flat {
            @WithDefault("f")
            String flat();
        }
    }

    // ---- the table -------------------------------------------------------------------------------------------

    private static String readme() {
        try {
            return Files.readString(ROOT.resolve("README.md"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Property to default cell, from the rows of the table under "## Configuration". */
    static Map<String, String> table(String readme) {
        int start = readme.indexOf("\n## Configuration\n");
        assertThat(start).as("a '## Configuration' section in README.md").isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : section.split("\n")) {
            Matcher row = ROW.matcher(line);
            if (row.matches() && rows.put(row.group(1), row.group(2)) != null) {
                throw new AssertionError("two rows for " + row.group(1));
            }
        }
        assertThat(rows).as("rows of the configuration table").isNotEmpty();
        return rows;
    }

    private static Properties applicationProperties() {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(ROOT.resolve("src/main/resources/application.properties"))) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    // ---- the mappings ----------------------------------------------------------------------------------------

    /** Every interface annotated {@code @ConfigMapping} in src/main/java. */
    static List<Class<?>> projectMappings() {
        Path sources = ROOT.resolve("src/main/java");
        try (Stream<Path> files = Files.walk(sources)) {
            List<Class<?>> mappings = new ArrayList<>();
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                if (Files.readString(file).contains("@ConfigMapping(")) {
                    String name = sources.relativize(file).toString().replace(".java", "").replace('/', '.');
                    mappings.add(Class.forName(name));
                }
            }
            return mappings;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    /** Property name to its {@code @WithDefault}, for every leaf property of the mappings. */
    static Map<String, Optional<String>> properties(List<Class<?>> mappings) {
        Map<String, Optional<String>> properties = new LinkedHashMap<>();
        for (Class<?> mapping : mappings) {
            ConfigMapping annotation = mapping.getAnnotation(ConfigMapping.class);
            assertThat(annotation).as("@ConfigMapping on %s", mapping).isNotNull();
            collect(mapping, annotation.prefix(), properties);
        }
        return properties;
    }

    private static void collect(Class<?> group, String prefix, Map<String, Optional<String>> properties) {
        for (Method method : group.getMethods()) {
            if (Modifier.isStatic(method.getModifiers()) || method.isDefault() || method.getParameterCount() > 0) {
                continue;
            }
            String name = method.isAnnotationPresent(WithParentName.class)
                    ? prefix
                    : join(prefix, method.isAnnotationPresent(WithName.class)
                            ? method.getAnnotation(WithName.class).value()
                            : kebab(method.getName()));
            Type type = unwrapOptional(method.getGenericReturnType());
            Class<?> raw = raw(type);
            if (Map.class.isAssignableFrom(raw)) {
                properties.put(name + ".*", Optional.empty());
            } else if (isGroup(raw)) {
                collect(raw, name, properties);
            } else {
                WithDefault value = method.getAnnotation(WithDefault.class);
                properties.put(name, Optional.ofNullable(value).map(WithDefault::value));
            }
        }
    }

    private static Type unwrapOptional(Type type) {
        if (type instanceof ParameterizedType parameterized && parameterized.getRawType() == Optional.class) {
            return parameterized.getActualTypeArguments()[0];
        }
        return type;
    }

    private static Class<?> raw(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            return (Class<?>) parameterized.getRawType();
        }
        return type instanceof Class<?> c ? c : Object.class;
    }

    /** A nested group: an interface of the application's or a library's, not a JDK type or a collection. */
    private static boolean isGroup(Class<?> type) {
        return type.isInterface() && !type.getName().startsWith("java.") && !Collection.class.isAssignableFrom(type)
                && type != OptionalInt.class && type != OptionalLong.class && type != OptionalDouble.class;
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** SmallRye Config's kebab case: a dash before each word, upper-case runs kept as one word. */
    static String kebab(String method) {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                char previous = method.charAt(i - 1);
                boolean nextIsLower = i + 1 < method.length() && Character.isLowerCase(method.charAt(i + 1));
                if (!Character.isUpperCase(previous) || nextIsLower) {
                    name.append('-');
                }
            }
            name.append(Character.toLowerCase(c));
        }
        return name.toString();
    }
}
