package io.txprocessor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.txprocessor.bundled.SimulatedHandlerConfig;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.drain.HandOffReserve;
import io.txprocessor.engine.DeliveryChoice;
import io.txprocessor.health.HealthConfig;
import io.txprocessor.jdbc.JdbcConfig;
import io.txprocessor.ledger.LedgerConfig;
import io.txprocessor.testing.TestConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * {@link SettingsCheck} as the service gets it (through {@link SettingsCheckCustomizer}), on a plain SmallRye
 * Config with the four mappings: the defaults pass, and each bad value is one problem line naming the property,
 * the value and what is allowed. BadSettingsIT shows the same lines coming out of the packaged service.
 */
class SettingsCheckTest {

    @Test
    void theDefaultsAreWithinEveryRange() {
        SmallRyeConfig config = build(Map.of());
        assertThat(config.getConfigMapping(DrainConfig.class).gracePeriod()).hasSeconds(30);
    }

    @Test
    void everyBadValueIsOneLineNamingThePropertyTheValueAndWhatIsAllowed() {
        ConfigValidationException refused = refused(Map.of("transactions.max-concurrency", "0",
                "transactions.max-pending-records", "-5", "drain.exit-margin", "0s",
                "health.polling-stall-timeout", "-1s", "transactions.simulated-failures", "tx-(", "transactions.topic",
                " "));
        assertThat(problems(refused)).containsExactlyInAnyOrder(
                "transactions.max-concurrency=0 is not allowed: it must be at least 1",
                "transactions.max-pending-records=-5 is not allowed: it must be at least 1",
                "transactions.topic=\" \" is not allowed: it must be a name, not blank",
                "transactions.simulated-failures=tx-( is not allowed: it must be a Java regular expression "
                        + "(Unclosed group at index 4)",
                "drain.exit-margin=0s is not allowed: it must be longer than 0s",
                "health.polling-stall-timeout=-1s is not allowed: it must be longer than 0s");
    }

    @Test
    void theLedgerHandlersKnobsAreCheckedToo() {
        assertThat(problems(refused(Map.of("ledger.url", "ftp://ledger", "ledger.timeout", "0s",
                "ledger.max-attempts", "0", "ledger.retry-backoff", "-1s")))).containsExactlyInAnyOrder(
                        "ledger.url=ftp://ledger is not allowed: it must be an http or https URL with a host",
                        "ledger.timeout=0s is not allowed: it must be longer than 0s",
                        "ledger.max-attempts=0 is not allowed: it must be at least 1",
                        "ledger.retry-backoff=-1s is not allowed: it must be 0s or longer");
    }

    @Test
    void theJdbcHandlersKnobsAreCheckedToo() {
        assertThat(problems(refused(Map.of("jdbc.statement-timeout", "0s", "jdbc.retry-backoff", "-1s",
                "jdbc.max-retry-backoff", "0ms")))).containsExactlyInAnyOrder(
                        "jdbc.statement-timeout=0s is not allowed: it must be longer than 0s",
                        "jdbc.retry-backoff=-1s is not allowed: it must be longer than 0s",
                        "jdbc.max-retry-backoff=0s is not allowed: it must be longer than 0s");
    }

    @Test
    void theWindowOfPendingRecordsGrowsWithTheConcurrencyUnlessItIsSet() {
        assertThat(DeliveryChoice.window(build(Map.of()).getConfigMapping(TransactionsConfig.class))).isEqualTo(2000);
        assertThat(DeliveryChoice.window(
                build(Map.of("transactions.max-concurrency", "1024")).getConfigMapping(TransactionsConfig.class)))
                .isEqualTo(8192);
        assertThat(DeliveryChoice
                .window(build(Map.of("transactions.max-concurrency", "1024", "transactions.max-pending-records", "500"))
                        .getConfigMapping(TransactionsConfig.class)))
                .isEqualTo(500);
        assertThat(DeliveryChoice.window(
                build(Map.of("transactions.delivery", "exactly-once")).getConfigMapping(TransactionsConfig.class)))
                .as("exactly once").isEqualTo(20_000);
    }

    @Test
    void aReserveAndMarginThatLeaveTheDrainNoTimeAreRefusedTogether() {
        assertThat(problems(refused(Map.of("drain.grace-period", "5s", "drain.hand-off-reserve", "4500ms"))))
                .containsExactly("drain.hand-off-reserve=4500ms with drain.exit-margin=1s is not allowed: the two "
                        + "must add up to less than drain.grace-period=5s, which leaves the records in flight the rest");
    }

    @Test
    void theAutoReserveNeedsItsFloorAndTheMarginToFitInTheGracePeriodAndAMaximumNotBelowTheFloor() {
        assertThat(problems(refused(Map.of("drain.grace-period", "1400ms")))).containsExactly(
                "drain.hand-off-reserve=auto with drain.exit-margin=1s is not allowed: the auto reserve's floor "
                        + "(400ms) and the margin must add up to less than drain.grace-period=1400ms, which leaves "
                        + "the records in flight the rest");
        assertThat(problems(refused(Map.of("drain.hand-off-reserve-max", "100ms")))).containsExactly(
                "drain.hand-off-reserve-max=100ms is not allowed: it must be at least 400ms, the floor of "
                        + "drain.hand-off-reserve=auto");
        assertThat(build(Map.of()).getConfigMapping(DrainConfig.class).handOffReserve())
                .as("the default").isEqualTo(HandOffReserve.AUTO);
        assertThat(build(Map.of("drain.hand-off-reserve", "2s")).getConfigMapping(DrainConfig.class)
                .handOffReserve().fixed()).as("a fixed reserve").contains(java.time.Duration.ofSeconds(2));
    }

    @Test
    void exactlyOnceIsRefusedWithReadUncommittedOrATransactionTimeoutNoLongerThanTwoCommitIntervals() {
        assertThat(problems(refused(Map.of("transactions.delivery", "exactly-once", "transactions.isolation-level",
                "read_uncommitted", "transactions.commit-interval", "5s", "transactions.transaction-timeout", "10s"))))
                .containsExactlyInAnyOrder("transactions.delivery=exactly-once with transactions.isolation-level="
                        + "read_uncommitted is not allowed: exactly once needs read_committed (an aborted upstream "
                        + "transaction's records would be processed and their outcomes committed)",
                        "transactions.transaction-timeout=10s with transactions.commit-interval=5s is not allowed: a "
                                + "transaction stays open for a commit interval and its commit, so the timeout must "
                                + "be longer than twice the interval",
                        "transactions.transaction-timeout=10s with drain.rebalance-timeout=10s and "
                                + "transactions.commit-interval=5s is not allowed: a transaction can stay open through "
                                + "a revocation drain and a commit interval, so the timeout must be longer than the "
                                + "two together");
        assertThat(build(Map.of("transactions.delivery", "exactly-once")).getConfigMapping(TransactionsConfig.class)
                .output().delivery()).as("the defaults fit exactly once")
                .isEqualTo(TransactionsConfig.Delivery.EXACTLY_ONCE);
    }

    @Test
    void exactlyOnceIsRefusedWithATransactionTimeoutThatARevocationDrainAndACommitIntervalCanOutlast() {
        // A revocation drain holds the polling thread up to drain.rebalance-timeout while the open transaction waits
        // for its commit: a timeout within that and a commit interval lets the broker abort it, and fences us.
        assertThat(problems(refused(Map.of("transactions.delivery", "exactly-once", "drain.rebalance-timeout",
                "20s")))).containsExactly("transactions.transaction-timeout=15s with drain.rebalance-timeout=20s and "
                        + "transactions.commit-interval=1s is not allowed: a transaction can stay open through a "
                        + "revocation drain and a commit interval, so the timeout must be longer than the two "
                        + "together");
        assertThat(build(Map.of("drain.rebalance-timeout", "20s")).getConfigMapping(DrainConfig.class)
                .rebalanceTimeout()).as("at least once, no transaction to outlast").hasSeconds(20);
        assertThat(build(Map.of("transactions.delivery", "exactly-once", "drain.rebalance-timeout", "20s",
                "transactions.transaction-timeout", "30s")).getConfigMapping(TransactionsConfig.class)
                .output().transactionTimeout()).hasSeconds(30);
    }

    @Test
    void aDurationThatDoesNotParseSaysWhatIsAllowed() {
        assertThat(problems(refused(Map.of("drain.grace-period", "abc")))).singleElement().asString()
                .contains("drain.grace-period").contains("\"abc\"")
                .contains("allowed is a duration such as 30s, 500ms, 2m or PT30S");
    }

    private static ConfigValidationException refused(Map<String, String> properties) {
        ConfigValidationException refused = catchThrowableOfType(ConfigValidationException.class,
                () -> build(properties));
        assertThat(refused).as("a validation failure for %s", properties).isNotNull();
        return refused;
    }

    private static List<String> problems(ConfigValidationException refused) {
        return IntStream.range(0, refused.getProblemCount())
                .mapToObj(i -> refused.getProblem(i).getMessage()).toList();
    }

    private static SmallRyeConfig build(Map<String, String> properties) {
        SmallRyeConfigBuilder builder = TestConfig.builder(properties, TransactionsConfig.class,
                SimulatedHandlerConfig.class,
                DrainConfig.class, HealthConfig.class, LedgerConfig.class, JdbcConfig.class);
        new SettingsCheckCustomizer().configBuilder(builder);
        return builder.build();
    }
}
