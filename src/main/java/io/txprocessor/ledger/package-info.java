/**
 * A handler that looks like real work: {@link io.txprocessor.ledger.LedgerTransactionHandler} books each
 * transaction in a ledger over HTTP with the Quarkus REST client, keyed by an {@code Idempotency-Key}, with a
 * timeout, bounded retries of retriable answers only ({@link io.txprocessor.ledger.RetryDecision}), and a drain's
 * cancellation turned into an aborted request. Selected by {@code transactions.handler=ledger}; configured by
 * {@link io.txprocessor.ledger.LedgerConfig}.
 */
package io.txprocessor.ledger;
