package io.txprocessor.transaction;

import java.time.Duration;
import java.util.Map;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * A {@link TransactionsConfig} for plain unit tests, built the way the service builds it: its {@code @WithDefault}s,
 * overridden by the given properties, with Quarkus' duration syntax ({@code 20ms}).
 */
public final class TestTransactionsConfig {

    private TestTransactionsConfig() {
    }

    public static TransactionsConfig with(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(TransactionsConfig.class)
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build()
                .getConfigMapping(TransactionsConfig.class);
    }
}
