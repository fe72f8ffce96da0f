package io.txprocessor.testing;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The database of {@code ./mvnw quarkus:dev} with the jdbc handler when nothing else provides one: a
 * {@link PostgresServer} (the machine's {@code postgresql} package, a temporary directory, a free port) with an
 * empty database, run by {@code io.txprocessor.dev.DevPostgresConfig} as a process of its own from the test class
 * path, so that nothing of it is in the service's jar.
 *
 * <p>
 * Prints {@link #READY} and the JDBC URL once the database exists (user {@code postgres}, no password), then runs
 * until its standard input closes, which happens when dev mode stops, or dies: the dev JVM holds the other end of
 * that pipe. Then it stops the server and deletes its data. Without the server binaries it prints {@link #MISSING}
 * and what to install, and exits. {@code DEV_POSTGRES_DEBIAN_ROOT} moves the Debian layout it looks in (tests of
 * the "not installed" case; the PATH is looked in too).
 */
public final class DevPostgres {

    /** The line prefix dev mode waits for; the JDBC URL follows it. */
    public static final String READY = "dev-postgres ready at ";
    /** The line prefix of "no server binaries"; what to install follows it. */
    public static final String MISSING = "dev-postgres missing: ";
    public static final String DATABASE = "transactions";

    private DevPostgres() {
    }

    public static void main(String[] args) throws IOException {
        String root = System.getenv("DEV_POSTGRES_DEBIAN_ROOT");
        if (PostgresServer.binaries(root == null ? PostgresServer.DEBIAN_ROOT : Path.of(root)).isEmpty()) {
            System.out.println(MISSING + PostgresServer.INSTALL);
            return;
        }
        try (PostgresServer server = PostgresServer.start()) {
            String url = server.createDatabase(DATABASE).get("QUARKUS_DATASOURCE_JDBC_URL");
            System.out.println(READY + url);
            System.out.flush();
            while (System.in.read() != -1) {
                // Nothing is ever written to us; we only wait for the end of the stream.
            }
        }
    }
}
