package io.txprocessor.publish;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The state-topic contract: what happened to one transaction at one instance.
 * Keyed by transaction id.
 *
 * @param id
 *            transaction id
 * @param account
 *            account id
 * @param state
 *            COMPLETED, FAILED or SUSPENDED
 * @param reason
 *            why FAILED or SUSPENDED ({@code shutdown}, {@code rebalance}, the
 *            handler's message); null when COMPLETED. Cut to at most 1,024
 *            characters, ending {@code …(truncated, N chars)} when cut
 * @param topic
 *            source topic
 * @param partition
 *            source partition
 * @param offset
 *            source offset
 * @param instance
 *            host name of the instance
 * @param at
 *            when the state was reached
 * @param startedAt
 *            when the handler started on it here
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StateEvent(String id, String account, State state, String reason, String topic, int partition,
        long offset, String instance, Instant at, Instant startedAt) {

    /**
     * Bounds the reason here, where every path builds its event (a handler's failure, a drain's suspension, the
     * baseline), so that none can make an event too large to publish.
     */
    public StateEvent {
        reason = BoundedText.of(reason);
    }

    /** The states a transaction can be reported in. */
    public enum State {
        /** The handler finished it. */
        COMPLETED,
        /** The handler threw; not retried. */
        FAILED,
        /**
         * Started here, not finished, not committed: the partition's next owner
         * processes it again.
         */
        SUSPENDED
    }
}
