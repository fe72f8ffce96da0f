package io.txprocessor.jdbc;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.StartupEvent;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * With {@code transactions.handler=jdbc}, a start without a database configured ends at once, saying what to set
 * and what to install, instead of at the first record: the handler itself is created only when the first record
 * is handled. Quarkus leaves a datasource without a URL inactive however {@code quarkus.datasource.active} reads.
 */
@ApplicationScoped
public class JdbcStartupCheck {

    static final String NO_DATABASE = "transactions.handler=jdbc needs a PostgreSQL database and none is "
            + "configured: set QUARKUS_DATASOURCE_JDBC_URL (jdbc:postgresql://host:5432/database), "
            + "QUARKUS_DATASOURCE_USERNAME and QUARKUS_DATASOURCE_PASSWORD. No PostgreSQL at hand: install one "
            + "(apt-get install postgresql on Debian or Ubuntu; see docs/dev-mode.md)";

    void onStart(@Observes StartupEvent event, TransactionsConfig config,
            InjectableInstance<AgroalDataSource> dataSource) {
        if (config.handler() == TransactionsConfig.HandlerKind.JDBC && !dataSource.getHandle().getBean().isActive()) {
            throw new IllegalStateException(NO_DATABASE);
        }
    }
}
