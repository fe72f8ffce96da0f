package io.txprocessor.ledger;

/**
 * The ledger refused a transaction for good, or stayed unavailable through every attempt: the transaction is
 * FAILED, with this message as the reason.
 */
public final class LedgerRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** A final answer ({@link RetryDecision#FAIL}). */
    LedgerRefusedException(int status) {
        super("ledger answered " + status);
    }

    /** Retriable answers until the attempts ran out. */
    LedgerRefusedException(int status, int attempts) {
        super((status == RetryDecision.NO_ANSWER ? "ledger did not answer" : "ledger answered " + status)
                + " after " + attempts + " attempts");
    }
}
