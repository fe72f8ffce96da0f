package io.txprocessor.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from the machine's packages (Debian's {@code postgresql}: the binaries under
 * {@code /usr/lib/postgresql/<version>/bin}), run by the tests themselves: {@code initdb} into a temporary
 * directory, then {@code postgres} on a free port of 127.0.0.1, trusting local connections (user
 * {@code postgres}, no password). Under root (CI) both run as the unprivileged user {@code postgres} the package
 * creates (PostgreSQL refuses to run as root), by {@code setpriv}, which execs: the process the tests hold is the
 * postmaster itself.
 *
 * <p>
 * Without the package the test fails under CI and is skipped elsewhere ({@link Ci}). {@link #close()} stops the
 * server and deletes its directory; a shutdown hook does it if the caller forgets, so no server outlives its run.
 */
public final class PostgresServer implements AutoCloseable {

    /** What to install where the binaries are missing. */
    public static final String INSTALL = "apt-get install postgresql (Debian, Ubuntu); the server binaries initdb "
            + "and postgres, under /usr/lib/postgresql/<version>/bin or on the PATH";
    private static final String USER = "postgres";

    private final Path bin;
    private final Path directory;
    private final int port;
    private final boolean asRoot;
    private final Thread reaper;
    private volatile Process process;

    private PostgresServer(Path bin, Path directory, int port, boolean asRoot) {
        this.bin = bin;
        this.directory = directory;
        this.port = port;
        this.asRoot = asRoot;
        this.reaper = new Thread(this::stopProcess, "postgres-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Where Debian's package installs each version's server binaries ({@code <version>/bin}). */
    public static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    /** The directory of initdb and postgres: the newest Debian version's, else the PATH's; empty if neither. */
    public static Optional<Path> binaries() {
        return binaries(DEBIAN_ROOT);
    }

    /** As {@link #binaries()}, with the Debian versions looked for under {@code debianRoot}. */
    public static Optional<Path> binaries(Path debianRoot) {
        try (Stream<Path> versions = Files.list(debianRoot)) {
            Optional<Path> debian = versions.map(version -> version.resolve("bin"))
                    .filter(dir -> Files.isExecutable(dir.resolve("postgres")))
                    .max(Comparator.comparingInt(PostgresServer::version));
            if (debian.isPresent()) {
                return debian;
            }
        } catch (IOException e) {
            // no Debian layout: look on the PATH
        }
        return Ci.findOnPath("postgres").filter(postgres -> Files.isExecutable(postgres.resolveSibling("initdb")))
                .map(Path::getParent);
    }

    private static int version(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A new server, ready for connections. */
    public static PostgresServer start() {
        Path bin = binaries().orElseThrow(() -> Ci.unavailable("no PostgreSQL server binaries; install: " + INSTALL));
        try {
            Path directory = Files.createTempDirectory("postgres-");
            boolean asRoot = "root".equals(System.getProperty("user.name"));
            if (asRoot) {
                chown(directory);
            }
            PostgresServer server = new PostgresServer(bin, directory, FreePorts.next(), asRoot);
            try {
                server.initdb();
                server.launch();
                server.awaitReady(Duration.ofSeconds(60));
            } catch (RuntimeException | AssertionError e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chown(Path directory) throws IOException {
        UserPrincipalLookupService lookup = directory.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        try {
            user = lookup.lookupPrincipalByName(USER);
        } catch (IOException e) {
            throw Ci.unavailable("running as root, the tests run PostgreSQL as the user " + USER
                    + ", which does not exist; the Debian package creates it: " + INSTALL);
        }
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(USER);
        PosixFileAttributeView view = Files.getFileAttributeView(directory, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
    }

    private List<String> command(String program, String... args) {
        List<String> command = new ArrayList<>();
        if (asRoot) {
            command.addAll(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        return command;
    }

    private void initdb() throws IOException {
        Process initdb = new ProcessBuilder(command("initdb", "-D", data().toString(), "-U", USER, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync")).redirectErrorStream(true)
                .redirectOutput(directory.resolve("initdb.log").toFile()).start();
        try {
            if (!initdb.waitFor(120, TimeUnit.SECONDS) || initdb.exitValue() != 0) {
                initdb.destroyForcibly();
                throw new IllegalStateException("initdb failed:\n" + Files.readString(directory.resolve("initdb.log")));
            }
        } catch (InterruptedException e) {
            initdb.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running initdb", e);
        }
    }

    private void launch() throws IOException {
        // fsync off: the tests stop the server cleanly, and a crash of the test machine loses only a test's data.
        // Connections: two services with a pool of 64 each, and the tests' own.
        process = new ProcessBuilder(command("postgres", "-D", data().toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + directory, "-c",
                "max_connections=300", "-c", "shared_buffers=32MB", "-c", "fsync=off", "-c",
                "full_page_writes=off")).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("postgres.log").toFile()))
                .start();
    }

    private Path data() {
        return directory.resolve("data");
    }

    private void awaitReady(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        SQLException last = null;
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IllegalStateException("postgres exited with " + process.exitValue() + ":\n" + log());
            }
            try (Connection connection = connect("postgres")) {
                return;
            } catch (SQLException e) {
                last = e;
            }
            Waits.pause(Duration.ofMillis(100));
        }
        throw new IllegalStateException("postgres did not accept connections within " + timeout + ":\n" + log(),
                last);
    }

    /** What the server logged so far (its errors, cancelled statements among them). */
    public String log() {
        try {
            return Files.readString(directory.resolve("postgres.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public int port() {
        return port;
    }

    /** The JDBC URL of {@code database} on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A connection of the tests' own to {@code database}, as the superuser. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, "");
    }

    /**
     * A new, empty database for one test (tests of a class share the server, never a database), and the
     * environment that points a service at it.
     */
    public java.util.Map<String, String> createDatabase(String name) {
        try (Connection connection = connect("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
        return java.util.Map.of("QUARKUS_DATASOURCE_JDBC_URL", jdbcUrl(name), "QUARKUS_DATASOURCE_USERNAME", USER,
                "QUARKUS_DATASOURCE_PASSWORD", "");
    }

    /**
     * Stops the server (fast shutdown: open sessions are ended, their transactions rolled back), as a database
     * that goes away; {@link #restart()} brings it back on the same port and data.
     */
    public void stop() {
        stopProcess();
    }

    /** Starts the server stopped by {@link #stop()} again, on the same port and data, and waits until it is ready. */
    public void restart() {
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitReady(Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        stopProcess();
        ProcessTools.removeShutdownHook(reaper);
        ProcessTools.deleteRecursively(directory);
    }

    private void stopProcess() {
        Process running = process;
        if (running == null || !running.isAlive()) {
            return;
        }
        // SIGINT is PostgreSQL's fast shutdown; SIGTERM (what destroy() sends) would wait for every client.
        Signals.sendQuietly(running.pid(), "INT");
        try {
            if (!running.waitFor(20, TimeUnit.SECONDS)) {
                Signals.sendQuietly(running.pid(), "QUIT"); // immediate shutdown
                if (!running.waitFor(10, TimeUnit.SECONDS)) {
                    running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            running.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
