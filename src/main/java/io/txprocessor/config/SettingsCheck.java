package io.txprocessor.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import io.smallrye.config.ConfigValidationException;
import io.smallrye.config.ConfigValidationException.Problem;
import io.smallrye.config.ConfigValidator;
import io.txprocessor.bundled.SimulatedHandlerConfig;
import io.txprocessor.core.Deadline;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.drain.HandOffReserve;
import io.txprocessor.engine.DeliveryChoice;
import io.txprocessor.health.HealthConfig;
import io.txprocessor.jdbc.JdbcConfig;
import io.txprocessor.ledger.LedgerConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The range of every knob of {@link TransactionsConfig}, {@link SimulatedHandlerConfig}, {@link DrainConfig}, {@link HealthConfig},
 * {@link LedgerConfig} and {@link JdbcConfig}, checked
 * while the configuration is read, before any bean or Kafka client exists. A bad value ends the start with one
 * line per problem naming the property, the value and what is allowed (Quarkus prints a
 * {@link ConfigValidationException} as its message alone, without a stack trace), then exit status 1.
 *
 * <p>
 * Values that do not even convert (a duration {@code abc}, an unknown ordering) never reach this class: SmallRye
 * Config reports them on the same kind of line (see {@link ReadableDurationConverter}).
 */
public final class SettingsCheck implements ConfigValidator {

    /** The mappings a rule across two of them needs, as each is validated (one instance per configuration built). */
    private TransactionsConfig transactions;
    private DrainConfig drain;

    @Override
    public void validateMapping(Class<?> mappingClass, String prefix, Object mappingObject) {
        List<String> problems = new ArrayList<>();
        if (mappingObject instanceof TransactionsConfig config) {
            transactions = config;
            check(config, problems);
            checkTogether(problems);
        } else if (mappingObject instanceof DrainConfig config) {
            drain = config;
            check(config, problems);
            checkTogether(problems);
        } else if (mappingObject instanceof HealthConfig health) {
            positive("health.polling-stall-timeout", health.pollingStallTimeout(), problems);
        } else if (mappingObject instanceof LedgerConfig ledger) {
            check(ledger, problems);
        } else if (mappingObject instanceof JdbcConfig jdbc) {
            check(jdbc, problems);
        } else if (mappingObject instanceof SimulatedHandlerConfig simulated) {
            check(simulated, problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigValidationException(problems.stream().map(Problem::new).toArray(Problem[]::new));
        }
    }

    static void check(TransactionsConfig config, List<String> problems) {
        named("transactions.topic", config.input().topic(), problems);
        named("transactions.states-topic", config.output().statesTopic(), problems);
        named("transactions.dead-letter-topic", config.output().deadLetterTopic(), problems);
        named("transactions.group-id", config.input().groupId(), problems);
        config.input().groupInstanceId().ifPresent(id -> named("transactions.group-instance-id", id, problems));
        atLeastOne("transactions.max-concurrency", config.work().maxConcurrency(), problems);
        config.work().maxPendingRecords()
                .ifPresent(records -> atLeastOne("transactions.max-pending-records", records, problems));
        config.work().maxPendingBytes()
                .ifPresent(size -> atLeastOne("transactions.max-pending-bytes", size.asLongValue(), problems));
        positive("transactions.commit-interval", config.work().commitInterval(), problems);
        positive("transactions.publish-timeout", config.output().publishTimeout(), problems);
        atLeastOne("transactions.max-id-length", config.input().maxIdLength(), problems);
        atLeastOne("transactions.max-account-length", config.input().maxAccountLength(), problems);
        config.output().transactionalId().ifPresent(id -> named("transactions.transactional-id", id, problems));
        DeliveryChoice.check(config, problems);
    }

    /** Once both are known: what the delivery mode asks of the drain's settings. */
    private void checkTogether(List<String> problems) {
        if (transactions != null && drain != null) {
            DeliveryChoice.check(transactions, drain.rebalanceTimeout(), problems);
        }
    }

    static void check(SimulatedHandlerConfig config, List<String> problems) {
        notNegative("transactions.processing-time", config.processingTime(), problems);
        notNegative("transactions.processing-time-jitter", config.processingTimeJitter(), problems);
        regex("transactions.simulated-failures", config.simulatedFailures(), problems);
        regex("transactions.simulated-crashes", config.simulatedCrashes(), problems);
        regex("transactions.simulated-hangs", config.simulatedHangs(), problems);
    }

    static void check(DrainConfig config, List<String> problems) {
        int before = problems.size();
        HandOffReserve reserve = config.handOffReserve();
        positive("drain.grace-period", config.gracePeriod(), problems);
        reserve.fixed().ifPresent(fixed -> positive("drain.hand-off-reserve", fixed, problems));
        positive("drain.hand-off-reserve-max", config.handOffReserveMax(), problems);
        positive("drain.exit-margin", config.exitMargin(), problems);
        positive("drain.rebalance-timeout", config.rebalanceTimeout(), problems);
        if (problems.size() == before && reserve.auto()
                && config.handOffReserveMax().compareTo(HandOffReserve.FLOOR) < 0) {
            problems.add("drain.hand-off-reserve-max=" + Deadline.text(config.handOffReserveMax())
                    + " is not allowed: it must be at least " + Deadline.text(HandOffReserve.FLOOR)
                    + ", the floor of drain.hand-off-reserve=auto");
        }
        if (problems.size() == before
                && reserve.least().plus(config.exitMargin()).compareTo(config.gracePeriod()) >= 0) {
            // A drain that cannot fit in the grace period would fail at the first SIGTERM; fail now instead.
            problems.add("drain.hand-off-reserve=" + reserve + " with drain.exit-margin="
                    + Deadline.text(config.exitMargin()) + " is not allowed: "
                    + (reserve.auto()
                            ? "the auto reserve's floor (" + Deadline.text(HandOffReserve.FLOOR)
                                    + ") and the margin"
                            : "the two")
                    + " must add up to less than drain.grace-period=" + Deadline.text(config.gracePeriod())
                    + ", which leaves the records in flight the rest");
        }
    }

    static void check(LedgerConfig config, List<String> problems) {
        String scheme = config.url().getScheme();
        if (!("http".equals(scheme) || "https".equals(scheme)) || config.url().getHost() == null) {
            problems.add("ledger.url=" + config.url() + " is not allowed: it must be an http or https URL with a host");
        }
        positive("ledger.timeout", config.timeout(), problems);
        atLeastOne("ledger.max-attempts", config.maxAttempts(), problems);
        notNegative("ledger.retry-backoff", config.retryBackoff(), problems);
    }

    static void check(JdbcConfig config, List<String> problems) {
        positive("jdbc.statement-timeout", config.statementTimeout(), problems);
        positive("jdbc.retry-backoff", config.retryBackoff(), problems);
        positive("jdbc.max-retry-backoff", config.maxRetryBackoff(), problems);
    }

    private static void atLeastOne(String property, long value, List<String> problems) {
        if (value < 1) {
            problems.add(property + "=" + value + " is not allowed: it must be at least 1");
        }
    }

    private static void positive(String property, Duration value, List<String> problems) {
        if (value.isNegative() || value.isZero()) {
            problems.add(property + "=" + Deadline.text(value) + " is not allowed: it must be longer than 0s");
        }
    }

    private static void notNegative(String property, Duration value, List<String> problems) {
        if (value.isNegative()) {
            problems.add(property + "=" + Deadline.text(value) + " is not allowed: it must be 0s or longer");
        }
    }

    private static void named(String property, String value, List<String> problems) {
        if (value.isBlank()) {
            problems.add(property + "=\"" + value + "\" is not allowed: it must be a name, not blank");
        }
    }

    private static void regex(String property, Optional<String> value, List<String> problems) {
        value.ifPresent(pattern -> {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                problems.add(property + "=" + pattern + " is not allowed: it must be a Java regular expression ("
                        + e.getDescription() + " at index " + e.getIndex() + ")");
            }
        });
    }
}
