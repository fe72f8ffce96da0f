package io.txprocessor.transaction;

/**
 * The real work for one transaction: a call to a payment gateway, a ledger, a
 * database. Implement it as an {@code @ApplicationScoped} bean and it replaces
 * the bundled {@code bundled.SimulatedTransactionHandler}.
 *
 * <p>
 * Called on a worker thread; it may block. Records of the same account are
 * never handled at the same time (with the default {@code key} ordering). The
 * same transaction may be handled more than once (after a SIGKILL, or when a
 * drain handed it off): use {@link TransactionContext#idempotencyKey()} with
 * the system you call so that the second call has no second effect.
 */
public interface TransactionHandler {

    /**
     * Does the work. Return normally when the transaction is done (a COMPLETED
     * event follows); throw to mark it FAILED, with the exception's message as the
     * reason (it is not retried). When the drain's time is up,
     * {@link TransactionContext#isCancelled()} turns true and the thread is
     * interrupted: stop promptly; the record is then handed off (SUSPENDED) and its
     * next owner handles it again.
     */
    void handle(Transaction transaction, TransactionContext context) throws Exception;
}
