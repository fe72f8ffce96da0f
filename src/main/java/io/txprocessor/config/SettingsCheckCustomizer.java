package io.txprocessor.config;

import java.time.Duration;

import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SmallRyeConfigBuilderCustomizer;

/**
 * Puts {@link SettingsCheck} and {@link ReadableDurationConverter} into every configuration Quarkus builds
 * (registered in {@code META-INF/services/io.smallrye.config.SmallRyeConfigBuilderCustomizer}), so a bad value is
 * refused while the configuration is read, before a bean or a Kafka client exists.
 */
public final class SettingsCheckCustomizer implements SmallRyeConfigBuilderCustomizer {

    /** Above the built-in and Quarkus duration converters, which it delegates to. */
    private static final int CONVERTER_PRIORITY = 300;

    @Override
    public void configBuilder(SmallRyeConfigBuilder builder) {
        builder.withValidator(new SettingsCheck());
        builder.withConverter(Duration.class, CONVERTER_PRIORITY, new ReadableDurationConverter());
    }
}
