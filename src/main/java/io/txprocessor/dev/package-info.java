/**
 * Dev mode only ({@code ./mvnw quarkus:dev}): where Kafka comes from when no cluster is configured, and an endpoint
 * that sends sample transactions. Every bean here is {@code @IfBuildProfile("dev")}, and the packaged jar leaves
 * these classes out ({@code quarkus.package.jar.user-configured-ignored-entries}).
 */
package io.txprocessor.dev;
