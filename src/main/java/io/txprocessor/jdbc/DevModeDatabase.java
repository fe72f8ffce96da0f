package io.txprocessor.jdbc;

import java.util.List;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;

/**
 * In dev mode only, with the jdbc handler and no datasource URL from anywhere (the environment, the properties,
 * Dev Services' container where a Docker engine answers), hands over to dev mode's own source of a database,
 * {@code io.txprocessor.dev.DevPostgresConfig}, which starts a local PostgreSQL server. Registered in
 * {@code META-INF/services/io.smallrye.config.ConfigSourceFactory} in its place: that class is left out of the
 * packaged jar (nothing of dev mode ships), and Quarkus names every registered factory in the packaged
 * application's generated code. So it is found by name, and outside dev mode this class never looks for it.
 */
public final class DevModeDatabase implements ConfigSourceFactory {

    private static final String DEV_SOURCE = "io.txprocessor.dev.DevPostgresConfig";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        if (!context.getProfiles().contains("dev")
                || !DatasourceActivation.isJdbc(value(context, "transactions.handler"))
                || value(context, "quarkus.datasource.jdbc.url") != null) {
            return List.of();
        }
        ConfigSourceFactory devSource;
        try {
            devSource = (ConfigSourceFactory) Class.forName(DEV_SOURCE, true, DevModeDatabase.class.getClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return List.of(); // the packaged service run with the dev profile: dev mode's classes are not there
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not create " + DEV_SOURCE, e);
        }
        return devSource.getConfigSources(context);
    }

    private static String value(ConfigSourceContext context, String name) {
        ConfigValue value = context.getValue(name);
        return value == null || value.getValue() == null || value.getValue().isBlank() ? null : value.getValue();
    }
}
