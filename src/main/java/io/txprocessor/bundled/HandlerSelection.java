package io.txprocessor.bundled;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import io.quarkus.arc.DefaultBean;
import io.txprocessor.jdbc.JdbcTransactionHandler;
import io.txprocessor.ledger.LedgerTransactionHandler;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The {@link TransactionHandler} the engine gets: the bundled one named by {@code transactions.handler}, read at
 * start (so the packaged service switches with an environment variable, {@code TRANSACTIONS_HANDLER=ledger}).
 * A {@code @DefaultBean}: a {@link TransactionHandler} bean of the application's own replaces it. Only the chosen
 * handler is ever created, so the others' configuration (and the jdbc handler's datasource) is never used.
 */
@ApplicationScoped
public class HandlerSelection {

    @Produces
    @DefaultBean
    @ApplicationScoped
    TransactionHandler handler(TransactionsConfig config, Instance<SimulatedTransactionHandler> simulated,
            Instance<LedgerTransactionHandler> ledger, Instance<JdbcTransactionHandler> jdbc) {
        return switch (config.handler()) {
            case SIMULATED -> simulated.get();
            case LEDGER -> ledger.get();
            case JDBC -> jdbc.get();
        };
    }
}
