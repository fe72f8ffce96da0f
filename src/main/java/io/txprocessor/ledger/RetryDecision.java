package io.txprocessor.ledger;

import java.time.Duration;

/**
 * What one attempt's answer means: done, worth another attempt, or a final refusal. Pure, so that the rules are
 * tested without a server.
 */
public enum RetryDecision {
    /** A 2xx: the ledger booked the entry (or had booked it under this idempotency key before). */
    DONE,
    /** The ledger could not answer now; the same request may succeed later, and the key makes it safe. */
    RETRY,
    /** The ledger refused the request itself; repeating it would be refused again: the transaction FAILED. */
    FAIL;

    /** Pseudo-status of an attempt with no HTTP answer: connection refused or reset, or the timeout. */
    public static final int NO_ANSWER = -1;

    /**
     * The decision for an HTTP status, or {@link #NO_ANSWER}. Retriable: no answer; 408 (request timeout); 409
     * (the same key still in progress, as the IETF Idempotency-Key draft answers it); 429 (rate limited); 502,
     * 503, 504 (a proxy or the ledger unavailable). Every other 4xx and 5xx is final: a 500 may have booked half
     * an entry, and only the ledger's owner can say whether to repeat it.
     */
    public static RetryDecision of(int status) {
        if (status >= 200 && status < 300) {
            return DONE;
        }
        return switch (status) {
            case NO_ANSWER, 408, 409, 429, 502, 503, 504 -> RETRY;
            default -> FAIL;
        };
    }

    /**
     * The wait before attempt {@code attempt} (2 for the first retry): {@code base} doubled per earlier retry, at
     * most 1024 × {@code base}.
     */
    public static Duration backoff(Duration base, int attempt) {
        int doublings = Math.min(Math.max(attempt - 2, 0), 10);
        return base.multipliedBy(1L << doublings);
    }
}
