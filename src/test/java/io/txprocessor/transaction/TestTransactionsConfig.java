package io.txprocessor.transaction;

import java.util.Map;

import io.txprocessor.testing.TestConfig;

/**
 * A {@link TransactionsConfig} for plain unit tests, built the way the service builds it: its {@code @WithDefault}s,
 * overridden by the given properties, with Quarkus' duration syntax ({@code 20ms}); see {@link TestConfig}.
 */
public final class TestTransactionsConfig {

    private TestTransactionsConfig() {
    }

    public static TransactionsConfig with(Map<String, String> properties) {
        return TestConfig.mapping(TransactionsConfig.class, properties);
    }
}
