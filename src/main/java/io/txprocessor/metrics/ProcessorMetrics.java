package io.txprocessor.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;

import jakarta.inject.Singleton;

import io.micrometer.core.instrument.FunctionCounter;
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
    private final Map<Outcome, LongAdder> processed = new EnumMap<>(Outcome.class);
    /**
     * transactions_processing_seconds: handler time of each transaction, with
     * histogram buckets.
     */
    private final Timer processing;
    /** transactions_redelivered_total */
    private final LongAdder redelivered;
    private final LongAdder publishRetriable;
    private final LongAdder publishUnpublishable;
    /** transactions_handler_crashes_total */
    private final LongAdder handlerCrashes;
    /** partition_start_lookup_failures_total */
    private final LongAdder startLookupFailures;
    /** transactions_producer_transactions_total{result}: exactly once, producer transactions committed and aborted. */
    private final LongAdder transactionsCommitted;
    private final LongAdder transactionsAborted;
    /** drain_records_finished_total and drain_records_suspended_total, by trigger. */
    private final Map<String, LongAdder> drainFinished = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> drainSuspended = new ConcurrentHashMap<>();
    private final HandOffTimings handOffTimings = new HandOffTimings();

    public ProcessorMetrics(MeterRegistry registry) {
        this.registry = registry;
        // transactions_in_flight
        Gauge.builder("transactions.in.flight", inFlight, AtomicInteger::get)
                .description("Records started and not finished (handler running or state event unacknowledged)")
                .register(registry);
        this.processing = Timer.builder("transactions.processing").description("Time the handler took per transaction")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        this.redelivered = counter("transactions.redelivered",
                "Records started again after a previous owner started them and did not finish (SIGKILL, hand-off)");
        for (Outcome outcome : Outcome.values()) {
            processed.put(outcome, processed(outcome));
        }
        this.publishRetriable = publishFailures("retriable");
        this.publishUnpublishable = publishFailures("unpublishable");
        this.handlerCrashes = counter("transactions.handler.crashes",
                "Handlers that threw a JVM Error: the record is left unfinished and liveness turns DOWN");
        this.startLookupFailures = counter("partition.start.lookup.failures",
                "Assigned partitions whose committed offset could not be looked up in time: paused and looked up again");
        this.transactionsCommitted = producerTransactions("committed");
        this.transactionsAborted = producerTransactions("aborted");
    }

    /** The broker round trips a hand-off is made of, as measured here: the drain sizes its reserve from them. */
    public HandOffTimings handOffTimings() {
        return handOffTimings;
    }

    private LongAdder producerTransactions(String result) {
        return counter("transactions.producer.transactions",
                "Exactly once: producer transactions of state events and offsets, committed or aborted (nothing of "
                        + "an aborted one is visible; its records are written again or handed off)",
                "result", result);
    }

    /** An exactly-once producer transaction committed, or aborted. */
    public void transaction(boolean committed) {
        (committed ? transactionsCommitted : transactionsAborted).increment();
    }

    /**
     * Registers a counter whose count this class keeps. Counted here rather than in Micrometer's {@code Counter}: a
     * record can finish (or crash) while Quarkus is still starting, before the Prometheus registry has joined the
     * composite one, and a {@code Counter} would drop those increments; a function counter reads the count at
     * scrape time. This class holds the adders, so Micrometer's weak reference to them stays valid.
     */
    private LongAdder counter(String name, String description, String... tags) {
        LongAdder count = new LongAdder();
        FunctionCounter.builder(name, count, LongAdder::sum).description(description).tags(tags).register(registry);
        return count;
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
            drainFinished(trigger);
            drainSuspended(trigger);
        }
    }

    /** transactions_publish_failures_total{kind}: retriable (retried, partition held) or unpublishable */
    private LongAdder publishFailures(String kind) {
        return counter("transactions.publish.failures", "Outcomes the broker refused: retriable ones are retried "
                + "with the partition held; unpublishable ones dead-letter the input", "kind", kind);
    }

    /** transactions_processed_total{outcome} */
    private LongAdder processed(Outcome outcome) {
        return counter("transactions.processed", "Records finished, by outcome", "outcome", outcome.tag);
    }

    /** drain_records_finished_total{trigger} */
    private LongAdder drainFinished(String trigger) {
        return drainFinished.computeIfAbsent(trigger, t -> counter("drain.records.finished",
                "Records in flight when a drain started that finished within it", "trigger", t));
    }

    /** drain_records_suspended_total{trigger} */
    private LongAdder drainSuspended(String trigger) {
        return drainSuspended.computeIfAbsent(trigger, t -> counter("drain.records.suspended",
                "Records a drain handed off (SUSPENDED) because its time was up", "trigger", t));
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
        processed.get(outcome).add(count);
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
        drainFinished(trigger).add(finished);
        drainSuspended(trigger).add(suspended);
    }
}
