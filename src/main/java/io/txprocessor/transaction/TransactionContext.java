package io.txprocessor.transaction;

import java.time.Duration;

/**
 * What a {@link TransactionHandler} gets besides the transaction: its
 * idempotency key and the cancellation.
 */
public interface TransactionContext {

    /**
     * The key to give the system you call so that repeating the call has no second
     * effect: the transaction id.
     */
    String idempotencyKey();

    /**
     * True once the drain has given up on this record; the handler should stop and
     * return or throw.
     */
    boolean isCancelled();

    /**
     * Waits for the given time unless cancelled first. Meant for handlers that poll
     * or back off.
     *
     * @return true if the whole time passed, false if cancelled
     * @throws InterruptedException
     *             if the thread is interrupted (which cancellation also does)
     */
    boolean awaitUnlessCancelled(Duration duration) throws InterruptedException;
}
