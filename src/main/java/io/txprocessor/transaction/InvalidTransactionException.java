package io.txprocessor.transaction;

/**
 * Why a record's value is not a transaction; the {@link #reason()} goes into
 * the dead-letter headers.
 */
public class InvalidTransactionException extends Exception {

    private final String reason;

    public InvalidTransactionException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * A stable, machine-readable code such as {@code not-json} or
     * {@code invalid-amount}.
     */
    public String reason() {
        return reason;
    }
}
