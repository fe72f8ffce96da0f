package io.txprocessor.dev;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigValue;
import io.txprocessor.jdbc.DevModeDatabase;
import io.txprocessor.testing.Ci;
import io.txprocessor.testing.PostgresServer;

/**
 * Dev mode's database for the jdbc handler, through the configuration source Quarkus calls
 * ({@link DevModeDatabase}, registered as a {@code ConfigSourceFactory}): against the machine's real
 * {@code postgresql} package it starts a local server (its own process, as {@code ./mvnw quarkus:dev} does) and
 * names it to the datasource; without the package it says in one line what to install; outside dev mode, with
 * another handler or with a URL it does nothing.
 */
class DevPostgresConfigTest {

    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(DevPostgresConfig.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    DevPostgresConfigTest() {
        logger.addHandler(capture);
    }

    @AfterEach
    void stopTheLocalServer() {
        logger.removeHandler(capture);
        DevPostgresConfig.stopLocalServer();
    }

    @Test
    void inDevModeWithTheJdbcHandlerAndNoUrlALocalServerFromThePackageIsStartedAndNamedToTheDatasource()
            throws SQLException {
        if (PostgresServer.binaries().isEmpty()) {
            throw Ci.unavailable("no PostgreSQL server binaries; install: " + PostgresServer.INSTALL);
        }
        Map<String, String> properties = properties(new DevModeDatabase().getConfigSources(dev("jdbc", null)));

        String url = properties.get("quarkus.datasource.jdbc.url");
        assertThat(url).as("the datasource URL").startsWith("jdbc:postgresql://127.0.0.1:");
        try (Connection connection = DriverManager.getConnection(url, properties.get("quarkus.datasource.username"),
                "");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT current_database(), version()")) {
            result.next();
            assertThat(result.getString(1)).as("the database").isEqualTo("transactions");
            System.out.println("dev mode's PostgreSQL: " + url + ", " + result.getString(2));
        }
        // A live reload builds the configuration again: the same server, not a second one.
        assertThat(properties(new DevModeDatabase().getConfigSources(dev("jdbc", null))))
                .as("after a live reload").isEqualTo(properties);
        assertThat(logged).filteredOn(line -> line.startsWith("TXP1506")).as("reused, said so").hasSize(1);
    }

    @Test
    void withoutThePackageItSaysInOneLineWhatToInstallAndNamesNoDatabase(@TempDir Path noDebianLayout)
            throws IOException {
        String path = "/usr/bin:/bin";
        for (String entry : path.split(":")) {
            assertThat(Files.exists(Path.of(entry, "initdb"))).as("initdb in " + entry).isFalse();
        }

        Optional<String> url = DevPostgresConfig.localServer(
                Map.of("PATH", path, "DEV_POSTGRES_DEBIAN_ROOT", noDebianLayout.toString()), List.of());

        assertThat(url).as("a database URL").isEmpty();
        assertThat(logged).filteredOn(line -> line.startsWith("TXP1507")).as("what to install")
                .containsExactly("TXP1507: Dev mode: transactions.handler=jdbc needs PostgreSQL, and it is not "
                        + "installed: sudo apt-get install postgresql (Debian, Ubuntu), or set "
                        + "QUARKUS_DATASOURCE_JDBC_URL");
        assertThat(System.getProperty(DevPostgresConfig.RUNNING)).as("a server remembered").isNull();
    }

    /**
     * An engine of the test's own on a Unix socket, answering the Docker API's ping as Docker does: dev mode starts
     * no server, the datasource is left to Dev Services (which read the configuration after this source).
     */
    @Test
    void whereADockerEngineAnswersDevServicesStayInChargeAndNoServerIsStarted(@TempDir Path directory)
            throws Exception {
        Path socket = directory.resolve("docker.sock");
        try (ServerSocketChannel engine = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            engine.bind(UnixDomainSocketAddress.of(socket));
            Thread answering = new Thread(() -> answerPings(engine), "fake-docker-engine");
            answering.setDaemon(true);
            answering.start();

            Optional<String> url = DevPostgresConfig.localServer(Map.of(), List.of(directory.resolve("none.sock"),
                    socket));

            assertThat(url).as("a database URL").isEmpty();
            assertThat(logged).as("said so").containsExactly("TXP1508: Dev mode: a Docker engine answers at " + socket
                    + "; the jdbc handler's database is Quarkus Dev Services' (a PostgreSQL container)");
            assertThat(System.getProperty(DevPostgresConfig.RUNNING)).as("a server started").isNull();
        }
    }

    private static void answerPings(ServerSocketChannel engine) {
        try {
            while (true) {
                try (SocketChannel client = engine.accept()) {
                    client.read(ByteBuffer.allocate(1024));
                    client.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
                            .getBytes(StandardCharsets.US_ASCII)));
                }
            }
        } catch (IOException e) {
            // the test closed the engine
        }
    }

    @Test
    void outsideDevModeWithAnotherHandlerOrWithAUrlNothingIsStarted() {
        assertThat(new DevModeDatabase().getConfigSources(context(List.of("prod"), "jdbc", null)))
                .as("prod").isEmpty();
        assertThat(new DevModeDatabase().getConfigSources(dev("simulated", null))).as("another handler").isEmpty();
        assertThat(new DevModeDatabase().getConfigSources(dev("jdbc", "jdbc:postgresql://db.example:5432/t")))
                .as("a URL set (the environment, or Dev Services' container)").isEmpty();
        assertThat(logged).as("log lines").isEmpty();
    }

    private static Map<String, String> properties(Iterable<ConfigSource> sources) {
        Iterator<ConfigSource> each = sources.iterator();
        assertThat(each.hasNext()).as("a configuration source").isTrue();
        Map<String, String> properties = each.next().getProperties();
        assertThat(each.hasNext()).as("a second source").isFalse();
        return properties;
    }

    private static ConfigSourceContext dev(String handler, String url) {
        return context(List.of("dev"), handler, url);
    }

    private static ConfigSourceContext context(List<String> profiles, String handler, String url) {
        Map<String, String> values = url == null
                ? Map.of("transactions.handler", handler)
                : Map.of("transactions.handler", handler, "quarkus.datasource.jdbc.url", url);
        return new ConfigSourceContext() {
            @Override
            public ConfigValue getValue(String name) {
                String value = values.get(name);
                return value == null ? null : ConfigValue.builder().withName(name).withValue(value).build();
            }

            @Override
            public Iterator<String> iterateNames() {
                return values.keySet().iterator();
            }

            @Override
            public List<String> getProfiles() {
                return profiles;
            }
        };
    }
}
