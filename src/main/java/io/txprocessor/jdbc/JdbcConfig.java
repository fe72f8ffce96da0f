package io.txprocessor.jdbc;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The jdbc handler's knobs ({@code transactions.handler=jdbc}); the other handlers ignore them. The database itself
 * is Quarkus' default datasource ({@code quarkus.datasource.jdbc.url}, {@code .username}, {@code .password}). Every
 * method is a row in the README's configuration table.
 */
@ConfigMapping(prefix = "jdbc")
public interface JdbcConfig {

    /**
     * How long one booking statement may run (JDBC's query timeout, in whole seconds, rounded up); past it the
     * driver cancels it, the database transaction is rolled back, and the booking is tried again.
     */
    @WithDefault("5s")
    Duration statementTimeout();

    /** Wait before the second attempt of a booking the database did not take, doubled before each further one. */
    @WithDefault("200ms")
    Duration retryBackoff();

    /** The longest wait between two attempts: the doubling stops here, and attempts go on until a drain cancels. */
    @WithDefault("5s")
    Duration maxRetryBackoff();
}
