package io.txprocessor.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Where dev mode finds PostgreSQL for the jdbc handler when nothing else named one (no
 * {@code QUARKUS_DATASOURCE_JDBC_URL}, no Dev Services container because no Docker engine answered): a local server
 * from the machine's {@code postgresql} package ({@link DockerEngine}: none answered), started as its own process ({@code io.txprocessor.testing.DevPostgres},
 * test sources: {@code initdb} into a temporary directory, a free port) and named to the datasource by a
 * configuration source of its own, below everything an operator sets. Where the package is not installed it says,
 * in one line, what to install; the start then ends at {@code jdbc.JdbcStartupCheck}.
 *
 * <p>
 * Called by {@code io.txprocessor.jdbc.DevModeDatabase} (registered as a {@link ConfigSourceFactory}; this class is
 * not in the packaged jar, so it cannot be registered itself) only in dev mode with the jdbc handler and no URL.
 * Runs on the thread that builds the configuration, once or more per application start. The server outlives live
 * reloads (they restart the application, not the JVM: a system property remembers it) and stops, its data deleted,
 * when dev mode stops: a shutdown hook closes its standard input, and so does the operating system if the dev JVM
 * dies.
 */
public final class DevPostgresConfig implements ConfigSourceFactory {

    private static final DevLog LOG = DevLog.of(DevPostgresConfig.class);
    /** Set on the JVM while the local server runs: its wrapper's pid and the JDBC URL. */
    static final String RUNNING = "txprocessor.dev-postgres";
    private static final Path LOG_FILE = Path.of("target", "dev-postgres.log");
    private static final String MAIN = "io.txprocessor.testing.DevPostgres";
    /** The same prefixes as DevPostgres.READY and DevPostgres.MISSING, which main code cannot see. */
    private static final String READY = "dev-postgres ready at ";
    private static final String MISSING = "dev-postgres missing: ";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** Below application.properties (250) and everything an operator sets, Dev Services' values (399) included. */
    private static final int ORDINAL = 150;
    /** The local server's superuser; it trusts local connections, so there is no password. */
    private static final String USER = "postgres";
    /** The server this class loader started (a live reload brings a new class loader: then only the hook has it). */
    private static volatile DevProcess started;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        return localServer(Map.of(), DockerEngine.sockets())
                .map(url -> List.<ConfigSource>of(new PropertiesConfigSource(
                        Map.of("quarkus.datasource.jdbc.url", url, "quarkus.datasource.username", USER),
                        "DevPostgresConfig", ORDINAL)))
                .orElse(List.of());
    }

    /**
     * The running local server's URL, or a new one's; empty where a Docker engine answers (Dev Services' turn), and
     * where the package is missing (TXP1507, what to install, logged).
     *
     * @param env added to the helper's environment (visible for testing: a PATH without the binaries)
     * @param dockerSockets where Docker engines may listen (visible for testing: an engine of the test's own)
     */
    // Visible for testing
    static Optional<String> localServer(Map<String, String> env, List<Path> dockerSockets) {
        Optional<String> engine = DockerEngine.answering(dockerSockets);
        if (engine.isPresent()) {
            LOG.devServicesDatabase(engine.get());
            return Optional.empty();
        }
        String running = System.getProperty(RUNNING);
        if (running != null) {
            String[] pidAndUrl = running.split(" ", 2);
            if (ProcessHandle.of(Long.parseLong(pidAndUrl[0])).map(ProcessHandle::isAlive).orElse(false)) {
                LOG.runningLocalPostgres(pidAndUrl[1]);
                return Optional.of(pidAndUrl[1]);
            }
        }
        LOG.startingLocalPostgres(LOG_FILE);
        DevProcess.Answer answer = DevProcess.start("local dev PostgreSQL", MAIN, List.of(), env, LOG_FILE,
                List.of(READY, MISSING), START_TIMEOUT);
        if (answer.line().startsWith(MISSING)) {
            LOG.postgresNotInstalled();
            return Optional.empty();
        }
        String url = answer.line().substring(READY.length()).trim();
        answer.process().stopAtExit();
        started = answer.process();
        System.setProperty(RUNNING, answer.process().pid() + " " + url);
        LOG.localPostgresStarted(url);
        return Optional.of(url);
    }

    /** Stops the server {@link #localServer} started, as the end of dev mode does. */
    // Visible for testing
    static void stopLocalServer() {
        DevProcess server = started;
        if (server != null) {
            server.stop();
            started = null;
            System.clearProperty(RUNNING);
        }
    }
}
