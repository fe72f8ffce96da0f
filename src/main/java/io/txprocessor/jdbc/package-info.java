/**
 * A handler that books into a real database: {@link io.txprocessor.jdbc.JdbcTransactionHandler} inserts each
 * transaction into PostgreSQL through Quarkus' default datasource (Agroal, schema by Flyway), once per transaction
 * id, with a statement timeout, transient failures tried again ({@link io.txprocessor.jdbc.SqlFailure}), and a
 * drain's cancellation turned into a cancelled statement and a rollback. Selected by
 * {@code transactions.handler=jdbc}, which also activates the datasource
 * ({@link io.txprocessor.jdbc.DatasourceActivation}); configured by {@link io.txprocessor.jdbc.JdbcConfig}.
 */
package io.txprocessor.jdbc;
