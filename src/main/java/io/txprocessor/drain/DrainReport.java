package io.txprocessor.drain;

import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one drain did, written as one JSON log line (category
 * {@code drain-report}) so it survives the process: CloudWatch and Kubernetes
 * log collectors keep stdout.
 *
 * @param event
 *            always {@code drain-report}, to find the line
 * @param trigger
 *            {@code shutdown} or {@code rebalance}
 * @param started
 *            when the drain began (for a shutdown: when SIGTERM arrived)
 * @param gracePeriodMs
 *            the time the drain was allowed
 * @param durationMs
 *            how long it took
 * @param inFlightAtStart
 *            records started and not finished when it began
 * @param finished
 *            of those, how many finished within the drain
 * @param handedOff
 *            how many were handed off to the next owner: cancelled (a SUSPENDED event), their outcome
 *            unconfirmed, or their handler crashed; {@code suspended} in the JSON line, the name operators search for
 * @param unpublished
 *            SUSPENDED events the broker did not take (each also logged on its
 *            own line)
 * @param committed
 *            offset committed per partition ({@code topic-partition}), absent
 *            when the commit failed
 * @param commitError
 *            why the commit failed, if it did
 * @param inputFailure
 *            for a shutdown: why the input channel failed before it (the service stopped taking records), if it did
 * @param exitStatus
 *            the process's exit status, for a shutdown
 * @param handOffReserve
 *            what the hand-off reserve was, why (the measured figures) and how much of it the hand-off used
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DrainReport(String event, String trigger, Instant started, long gracePeriodMs, long durationMs,
        int inFlightAtStart, int finished, @JsonProperty("suspended") int handedOff, int unpublished,
        Map<String, Long> committed,
        String commitError, String inputFailure, Integer exitStatus, ReserveReport handOffReserve) {
}
