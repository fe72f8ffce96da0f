package io.txprocessor.testing;

import java.time.Duration;
import java.util.Map;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * {@code @ConfigMapping} interfaces for plain unit tests, built the way the service builds them, without Quarkus:
 * their {@code @WithDefault}s, overridden by the given properties, with Quarkus' duration syntax ({@code 20ms}).
 */
public final class TestConfig {

    /** Above every default, as an environment variable or a system property is in the service. */
    private static final int PROPERTIES_ORDINAL = 500;
    /** Quarkus registers its duration converter at this priority; the service's own converter sits above it. */
    private static final int DURATION_CONVERTER_PRIORITY = 100;

    private TestConfig() {
    }

    /** One mapping, read from {@code properties} over its defaults. */
    public static <T> T mapping(Class<T> mapping, Map<String, String> properties) {
        return builder(properties, mapping).build().getConfigMapping(mapping);
    }

    /**
     * A builder with the given mappings and properties, for a test that adds to it (a customizer, say) before
     * {@code build()}.
     */
    public static SmallRyeConfigBuilder builder(Map<String, String> properties, Class<?>... mappings) {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder()
                .withConverter(Duration.class, DURATION_CONVERTER_PRIORITY, new DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", PROPERTIES_ORDINAL));
        for (Class<?> mapping : mappings) {
            builder.withMapping(mapping);
        }
        return builder;
    }
}
