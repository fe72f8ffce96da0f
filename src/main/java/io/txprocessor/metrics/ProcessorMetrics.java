package io.txprocessor.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Every metric this service exports, declared in one place with its
 * description. The Prometheus names in the comments are the contract dashboards
 * and alerts rely on. Thread-safe (Micrometer meters are).
 */
@Singleton
public class ProcessorMetrics {

    /** Outcome tag of {@code transactions_processed_total}. */
    public enum Outcome {
        COMPLETED("completed"), FAILED("failed"), DEAD_LETTERED("dead_lettered");

        final String tag;

        Outcome(String tag) {
            this.tag = tag;
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
    private final Counter publishRetriable;
    private final Counter publishUnpublishable;
    /** transactions_handler_crashes_total */
    private final Counter handlerCrashes;
    /** partition_start_lookup_failures_total */
    private final Counter startLookupFailures;

    public ProcessorMetrics(MeterRegistry registry) {
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
        for (Outcome outcome : Outcome.values()) {
            processed.put(outcome, processed(outcome));
        }
        this.publishRetriable = publishFailures("retriable");
        this.publishUnpublishable = publishFailures("unpublishable");
        this.handlerCrashes = Counter.builder("transactions.handler.crashes")
                .description("Handlers that threw a JVM Error: the record is left unfinished and liveness turns DOWN")
                .register(registry);
        this.startLookupFailures = Counter.builder("partition.start.lookup.failures")
                .description("Assigned partitions whose committed offset could not be looked up in time: paused and "
                        + "looked up again")
                .register(registry);
    }

    /**
     * The drain's gauges, registered by the drain package (which owns their sources) at start.
     *
     * @param state drain_state: 0 running, 1 draining, 2 drained
     * @param deadlineRemainingSeconds drain_deadline_remaining_seconds
     * @param gracePeriodSeconds drain_grace_period_seconds
     * @param triggers the trigger tags, so their counters export 0 before the first drain
     */
    public void drainGauges(IntSupplier state, DoubleSupplier deadlineRemainingSeconds, double gracePeriodSeconds,
            List<String> triggers) {
        // Gauge.builder(name, Supplier) holds the supplier strongly; builder(name, object, fn) only weakly, and these
        // lambdas have no other owner.
        Gauge.builder("drain.state", state::getAsInt)
                .description("0 running, 1 draining after SIGTERM, 2 drained and exiting").register(registry);
        Gauge.builder("drain.grace.period", () -> gracePeriodSeconds)
                .description("Configured time from SIGTERM to SIGKILL (drain.grace-period)").baseUnit("seconds")
                .register(registry);
        Gauge.builder("drain.deadline.remaining", deadlineRemainingSeconds::getAsDouble)
                .description("Time left until the shutdown drain's deadline; 0 when not draining").baseUnit("seconds")
                .register(registry);
        for (String trigger : triggers) {
            drainFinished(trigger).increment(0);
            drainSuspended(trigger).increment(0);
        }
    }

    /** transactions_publish_failures_total{kind}: retriable (retried, partition held) or unpublishable */
    private Counter publishFailures(String kind) {
        return Counter.builder("transactions.publish.failures")
                .description("Outcomes the broker refused: retriable ones are retried with the partition held; "
                        + "unpublishable ones dead-letter the input")
                .tag("kind", kind).register(registry);
    }

    /** transactions_processed_total{outcome} */
    private Counter processed(Outcome outcome) {
        return Counter.builder("transactions.processed").description("Records finished, by outcome")
                .tag("outcome", outcome.tag).register(registry);
    }

    /** drain_records_finished_total{trigger} */
    private Counter drainFinished(String trigger) {
        return Counter.builder("drain.records.finished")
                .description("Records in flight when a drain started that finished within it")
                .tag("trigger", trigger).register(registry);
    }

    /** drain_records_suspended_total{trigger} */
    private Counter drainSuspended(String trigger) {
        return Counter.builder("drain.records.suspended")
                .description("Records a drain handed off (SUSPENDED) because its time was up")
                .tag("trigger", trigger).register(registry);
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

    public void publishFailed(boolean unpublishable) {
        (unpublishable ? publishUnpublishable : publishRetriable).increment();
    }

    public void startLookupFailed() {
        startLookupFailures.increment();
    }

    public void handlerCrashed() {
        handlerCrashes.increment();
    }

    /**
     * Records one finished drain: drain_duration_seconds{trigger,outcome} and the
     * record counters.
     */
    public void drained(String trigger, Duration duration, int finished, int suspended) {
        Timer.builder("drain.duration")
                .description("How long drains took, by trigger and outcome (clean: all finished; handed_off)")
                .tag("trigger", trigger).tag("outcome", suspended == 0 ? "clean" : "handed_off").register(registry)
                .record(duration);
        drainFinished(trigger).increment(finished);
        drainSuspended(trigger).increment(suspended);
    }
}
