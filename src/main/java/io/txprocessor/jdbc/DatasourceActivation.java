package io.txprocessor.jdbc;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Makes Quarkus' default datasource active only for {@code transactions.handler=jdbc}: with any other handler no
 * pool is started, no migration runs, no health check asks for a database, so none is needed. A configuration
 * source of its own (registered in {@code META-INF/services/io.smallrye.config.ConfigSourceFactory}) below
 * application.properties, so an explicit {@code quarkus.datasource.active} (QUARKUS_DATASOURCE_ACTIVE) still wins.
 */
public final class DatasourceActivation implements ConfigSourceFactory {

    static final String ACTIVE = "quarkus.datasource.active";
    /** Below application.properties (250) and everything an operator sets. */
    private static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue handler = context.getValue("transactions.handler");
        return List.of(new PropertiesConfigSource(
                Map.of(ACTIVE, Boolean.toString(isJdbc(handler == null ? null : handler.getValue()))),
                "DatasourceActivation", ORDINAL));
    }

    // Visible for testing
    static boolean isJdbc(String handler) {
        return handler != null && "jdbc".equals(handler.trim().toLowerCase(Locale.ROOT));
    }
}
