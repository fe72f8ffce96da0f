/**
 * Dev mode only ({@code ./mvnw quarkus:dev}): where Kafka comes from when no cluster is configured, where the jdbc
 * handler's PostgreSQL comes from when no database is, and an endpoint that sends sample transactions. Every bean
 * here is {@code @IfBuildProfile("dev")}, the database's configuration source is called only in dev mode (through
 * {@code io.txprocessor.jdbc.DevModeDatabase}), and the packaged jar leaves these classes out
 * ({@code quarkus.package.jar.user-configured-ignored-entries}).
 */
package io.txprocessor.dev;
