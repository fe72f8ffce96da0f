package io.txprocessor.dev;

import java.lang.invoke.MethodHandles;
import java.nio.file.Path;

import org.jboss.logging.BasicLogger;
import org.jboss.logging.Logger;
import org.jboss.logging.Logger.Level;
import org.jboss.logging.annotations.LogMessage;
import org.jboss.logging.annotations.Message;
import org.jboss.logging.annotations.MessageLogger;
import org.jboss.logging.annotations.ValidIdRange;

/**
 * Dev mode's log lines, each with an id ({@code TXP1500}...) that docs/operate.md ("Log messages") lists. Ids
 * 1500-1599 are this package's (the compiler refuses others). DEBUG and TRACE lines stay plain calls
 * ({@code LOG.debugf}) on the same logger. Like every class here, this one and its generated implementation
 * ({@code DevLog_$logger}) are left out of the packaged jar ({@code quarkus.package.jar.user-configured-ignored-entries}).
 */
@MessageLogger(projectCode = "TXP", length = 4)
@ValidIdRange(min = 1500, max = 1599)
interface DevLog extends BasicLogger {

    /** The logger of {@code owner}'s category, so that log lines and category levels keep the class's name. */
    static DevLog of(Class<?> owner) {
        return Logger.getMessageLogger(MethodHandles.lookup(), DevLog.class, owner.getName());
    }

    @LogMessage(level = Level.INFO)
    @Message(id = 1500, value = "Dev mode: Kafka at %s (KAFKA_BOOTSTRAP_SERVERS, or Kafka Dev Services' container)")
    void configuredKafka(Object bootstrapServers);

    @LogMessage(level = Level.INFO)
    @Message(id = 1501, value = "Dev mode: Kafka at %s, the local broker started before this live reload")
    void runningLocalBroker(String bootstrapServers);

    @LogMessage(level = Level.INFO)
    @Message(id = 1502, value = "Dev mode: no kafka.bootstrap.servers and no Kafka Dev Services (no Docker engine "
            + "answered); starting a local Apache Kafka broker (KRaft, its own JVM, log in %s)")
    void startingLocalBroker(Path logFile);

    @LogMessage(level = Level.INFO)
    @Message(id = 1503, value = "Dev mode: Kafka at %s, the local broker; it stops when dev mode stops")
    void localBrokerStarted(String bootstrapServers);

    @LogMessage(level = Level.INFO)
    @Message(id = 1504, value = "Dev mode: transactions.handler=jdbc, no QUARKUS_DATASOURCE_JDBC_URL and no Dev "
            + "Services database (no Docker engine answered); starting a local PostgreSQL server from the postgresql "
            + "package (its own process, log in %s)")
    void startingLocalPostgres(Path logFile);

    @LogMessage(level = Level.INFO)
    @Message(id = 1505, value = "Dev mode: PostgreSQL at %s, the local server; it stops, and its data is deleted, "
            + "when dev mode stops")
    void localPostgresStarted(String jdbcUrl);

    @LogMessage(level = Level.INFO)
    @Message(id = 1506, value = "Dev mode: PostgreSQL at %s, the local server started before this live reload")
    void runningLocalPostgres(String jdbcUrl);

    @LogMessage(level = Level.ERROR)
    @Message(id = 1507, value = "Dev mode: transactions.handler=jdbc needs PostgreSQL, and it is not installed: "
            + "sudo apt-get install postgresql (Debian, Ubuntu), or set QUARKUS_DATASOURCE_JDBC_URL")
    void postgresNotInstalled();

    @LogMessage(level = Level.INFO)
    @Message(id = 1508, value = "Dev mode: a Docker engine answers at %s; the jdbc handler's database is Quarkus Dev "
            + "Services' (a PostgreSQL container)")
    void devServicesDatabase(String engine);
}
