package io.txprocessor.ledger;

import java.net.URI;
import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The ledger handler's knobs ({@code transactions.handler=ledger}); the simulated handler ignores them. Every
 * method is a row in the README's configuration table.
 */
@ConfigMapping(prefix = "ledger")
public interface LedgerConfig {

    /** Base URL of the ledger; each transaction is a {@code POST} to {@code <url>/entries}. */
    @WithDefault("http://localhost:8089")
    URI url();

    /**
     * How long one attempt may take, connection included; past it the request is aborted and counts as a
     * retriable failure (the idempotency key makes the repeat safe).
     */
    @WithDefault("5s")
    Duration timeout();

    /** Attempts per transaction, the first included; 1 retries nothing. */
    @WithDefault("3")
    int maxAttempts();

    /** Wait before the second attempt, doubled before each further one (a drain's cancellation cuts it short). */
    @WithDefault("200ms")
    Duration retryBackoff();
}
