package io.txprocessor.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives the tests of one class one real PostgreSQL server ({@link PostgresServer}): started on first use, stopped
 * by JUnit when the class ends (a closeable resource of the class's context), failing tests included. Tests
 * isolate themselves with a database each ({@link PostgresServer#createDatabase}). Per class, not per run: a test
 * that stops the server (a database outage) then disturbs only its own class.
 */
public final class SharedPostgres implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PostgresServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(ExtensionContext.Namespace.create(SharedPostgres.class))
                .getOrComputeIfAbsent("postgres", key -> new Resource(PostgresServer.start()), Resource.class).server;
    }

    private record Resource(PostgresServer server) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            server.close();
        }
    }
}
