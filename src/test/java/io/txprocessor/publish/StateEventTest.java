package io.txprocessor.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.txprocessor.publish.StateEvent.State;

/**
 * A FAILED event carries the handler's message as its reason; a handler whose message is megabytes long must not
 * make the event too large to publish (and so hold its partition's commits back).
 */
class StateEventTest {

    @Test
    void aReasonLongerThanTheBoundIsTruncatedWithAMarkerSayingHowLongItWas() {
        StateEvent event = failed("x".repeat(5_000_000));

        assertThat(event.reason()).hasSizeLessThanOrEqualTo(1024)
                .startsWith("xxxxxxxx")
                .endsWith("…(truncated, 5000000 chars)");
    }

    @Test
    void aReasonWithinTheBoundIsKeptAsItIs() {
        String atTheBound = "y".repeat(1024);

        assertThat(failed("simulated failure for tx-1").reason()).isEqualTo("simulated failure for tx-1");
        assertThat(failed(atTheBound).reason()).isEqualTo(atTheBound);
        assertThat(failed(null).reason()).isNull();
    }

    @Test
    void theCutDoesNotSplitACharacterOutsideTheBasicPlane() {
        // Each emoji is two chars (a surrogate pair): whatever the cut, no lone surrogate may be left.
        String reason = failed("\uD83D\uDCA5".repeat(1_000) + "!").reason();

        assertThat(reason).hasSizeLessThanOrEqualTo(1024).endsWith("…(truncated, 2001 chars)");
        String kept = reason.substring(0, reason.indexOf('…'));
        assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1))).as("ends in a lone high surrogate")
                .isFalse();
    }

    private static StateEvent failed(String reason) {
        return new StateEvent("tx-1", "acc-1", State.FAILED, reason, "transactions", 0, 7L, "host", Instant.now(),
                Instant.now());
    }
}
