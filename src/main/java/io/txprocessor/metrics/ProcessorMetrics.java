package io.txprocessor.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.drain.DrainStatus;

/**
 * Every metric this service exports, declared in one place with its
 * description. The Prometheus names in the comments are the contract dashboards
 * and alerts rely on. Thread-safe (Micrometer meters are).
 */
@ApplicationScoped
public class ProcessorMetrics {

    /** Outcome tag of {@code transactions_processed_total}. */
    public enum Outcome {
        COMPLETED("completed"), FAILED("failed"), DEAD_LETTERED("dead_lettered");

        final String tag;

        Outcome(String tag) {
            this.tag = tag;
        }
    }

    /** What started a drain: the {@code trigger} tag. */
    public enum Trigger {
        SHUTDOWN("shutdown"), REBALANCE("rebalance");

        final String tag;

        Trigger(String tag) {
            this.tag = tag;
        }

        /** The tag value, also the reason of the SUSPENDED events and the trigger of the drain report. */
        public String tag() {
            return tag;
        }
    }

    private final MeterRegistry registry;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Looked up once: registering by name and tags on every record would cost more than the rest of the path. */
    private final Map<Outcome, Counter> processed = new EnumMap<>(Outcome.class);
    /**
     * transactions_processing_seconds: handler time of each transaction, with
     * histogram buckets.
     */
    private final Timer processing;
    /** transactions_redelivered_total */
    private final Counter redelivered;

    public ProcessorMetrics(MeterRegistry registry, DrainStatus status, DrainConfig drainConfig) {
        this.registry = registry;
        // transactions_in_flight
        Gauge.builder("transactions.in.flight", inFlight, AtomicInteger::get)
                .description("Records started and not finished (handler running or state event unacknowledged)")
                .register(registry);
        this.processing = Timer.builder("transactions.processing").description("Time the handler took per transaction")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        this.redelivered = Counter.builder("transactions.redelivered").description(
                "Records started again after a previous owner started them and did not finish " + "(SIGKILL, hand-off)")
                .register(registry);
        // drain_state
        Gauge.builder("drain.state", status, s -> s.state().value())
                .description("0 running, 1 draining after SIGTERM, 2 drained and exiting").register(registry);
        // drain_grace_period_seconds
        Gauge.builder("drain.grace.period", drainConfig, c -> c.gracePeriod().toMillis() / 1000.0)
                .description("Configured time from SIGTERM to SIGKILL (drain.grace-period)").baseUnit("seconds")
                .register(registry);
        // drain_deadline_remaining_seconds
        Gauge.builder("drain.deadline.remaining", status, s -> s.deadlineRemaining().toMillis() / 1000.0)
                .description("Time left until the shutdown drain's deadline; 0 when not draining").baseUnit("seconds")
                .register(registry);
        for (Outcome outcome : Outcome.values()) {
            processed.put(outcome, processed(outcome));
        }
        for (Trigger trigger : Trigger.values()) {
            drainFinished(trigger).increment(0);
            drainSuspended(trigger).increment(0);
        }
    }

    /** transactions_processed_total{outcome} */
    private Counter processed(Outcome outcome) {
        return Counter.builder("transactions.processed").description("Records finished, by outcome")
                .tag("outcome", outcome.tag).register(registry);
    }

    /** drain_records_finished_total{trigger} */
    private Counter drainFinished(Trigger trigger) {
        return Counter.builder("drain.records.finished")
                .description("Records in flight when a drain started that finished within it")
                .tag("trigger", trigger.tag).register(registry);
    }

    /** drain_records_suspended_total{trigger} */
    private Counter drainSuspended(Trigger trigger) {
        return Counter.builder("drain.records.suspended")
                .description("Records a drain handed off (SUSPENDED) because its time was up")
                .tag("trigger", trigger.tag).register(registry);
    }

    public void started() {
        inFlight.incrementAndGet();
    }

    public void stopped() {
        inFlight.decrementAndGet();
    }

    public void handled(Duration duration) {
        processing.record(duration);
    }

    public void processed(Outcome outcome, int count) {
        processed.get(outcome).increment(count);
    }

    public void redelivered() {
        redelivered.increment();
    }

    /**
     * Records one finished drain: drain_duration_seconds{trigger,outcome} and the
     * record counters.
     */
    public void drained(Trigger trigger, Duration duration, int finished, int suspended) {
        Timer.builder("drain.duration")
                .description("How long drains took, by trigger and outcome (clean: all finished; handed_off)")
                .tag("trigger", trigger.tag).tag("outcome", suspended == 0 ? "clean" : "handed_off").register(registry)
                .record(duration);
        drainFinished(trigger).increment(finished);
        drainSuspended(trigger).increment(suspended);
    }
}
