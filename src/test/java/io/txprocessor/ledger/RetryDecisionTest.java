package io.txprocessor.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which ledger answers are retried, which end the transaction, and how long retries wait. */
class RetryDecisionTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {200, 201, 202, 204, 299})
    void a2xxIsDone(int status) {
        assertThat(RetryDecision.of(status)).isEqualTo(RetryDecision.DONE);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {RetryDecision.NO_ANSWER, 408, 409, 429, 502, 503, 504})
    void noAnswerAndTheTransientStatusesAreRetried(int status) {
        assertThat(RetryDecision.of(status)).isEqualTo(RetryDecision.RETRY);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {100, 301, 304, 400, 401, 403, 404, 410, 415, 422, 500, 501, 505})
    void everyOtherStatusFailsTheTransactionWithoutARetry(int status) {
        assertThat(RetryDecision.of(status)).isEqualTo(RetryDecision.FAIL);
    }

    @Test
    void theBackoffDoublesFromTheBaseBeforeEachRetryAndStopsGrowingAtATenthDoubling() {
        Duration base = Duration.ofMillis(200);
        assertThat(RetryDecision.backoff(base, 2)).isEqualTo(Duration.ofMillis(200));
        assertThat(RetryDecision.backoff(base, 3)).isEqualTo(Duration.ofMillis(400));
        assertThat(RetryDecision.backoff(base, 4)).isEqualTo(Duration.ofMillis(800));
        assertThat(RetryDecision.backoff(base, 12)).isEqualTo(base.multipliedBy(1024));
        assertThat(RetryDecision.backoff(base, 1_000)).isEqualTo(base.multipliedBy(1024));
        assertThat(RetryDecision.backoff(Duration.ZERO, 5)).isZero();
    }
}
