package io.txprocessor.transaction;

import java.util.concurrent.CancellationException;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.arc.DefaultBean;

/**
 * The bundled handler: pretends to call a ledger for
 * {@code transactions.processing-time}, stops as soon as it is cancelled, and
 * fails the ids that match {@code transactions.simulated-failures}. Replaced by
 * any other {@link TransactionHandler} bean.
 */
@ApplicationScoped
@DefaultBean
public class SimulatedTransactionHandler implements TransactionHandler {

    private final TransactionsConfig config;
    private final Pattern failures;

    public SimulatedTransactionHandler(TransactionsConfig config) {
        this.config = config;
        this.failures = config.simulatedFailures().map(Pattern::compile).orElse(null);
    }

    @Override
    public void handle(Transaction transaction, TransactionContext context) throws Exception {
        if (!config.processingTime().isZero() && !context.awaitUnlessCancelled(config.processingTime())) {
            throw new CancellationException("cancelled before the simulated work finished");
        }
        if (failures != null && failures.matcher(transaction.id()).matches()) {
            throw new IllegalStateException("simulated failure for " + transaction.id());
        }
    }
}
