package io.txprocessor.drain;

import io.txprocessor.core.Deadline;

import io.txprocessor.engine.ExactlyOnceCommits.Result;

/**
 * Exactly once: how a drain commits its final producer transaction, on the consumer's polling thread (straight
 * inside a rebalance callback, or as a task of the polling thread for a shutdown).
 */
@FunctionalInterface
public interface TransactionCommit {

    /**
     * Commits the open transaction with the offsets of every assigned partition, or aborts it, by the deadline;
     * {@code whileClosed} runs before any send enters the next transaction.
     */
    Result commit(Deadline deadline, Runnable whileClosed) throws InterruptedException;
}
