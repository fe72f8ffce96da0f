package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.Deadline;
import io.txprocessor.engine.Delivery;
import io.txprocessor.engine.DrainCommit;
import io.txprocessor.engine.PartitionWork;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.StateEvent;

/**
 * The drain itself, the same for a shutdown (all partitions) and a revocation
 * (some), once new records have stopped starting. Every step works towards the
 * one {@link Deadline} it is given:
 *
 * <ol>
 * <li>records in flight get the time left, less the hand-off reserve;
 * <li>what is still running is cancelled, and a SUSPENDED event is published
 * for each;
 * <li>offsets are committed for exactly the finished records: per partition, up
 * to the first unfinished one, as the {@link Delivery} commits (exactly once: in one producer transaction with the
 * outcomes and the SUSPENDED events, or not at all);
 * <li>the report is made, for the caller to log with what it adds (the exit status of a shutdown).
 * </ol>
 */
@ApplicationScoped
public class DrainSequence {

    private static final DrainLog LOG = DrainLog.of(DrainSequence.class);
    /** How often the auto reserve is sized again while the work runs. */
    private static final Duration RESIZE = Duration.ofMillis(50);
    private final PartitionWork partitionWork;
    private final Delivery delivery;
    private final ProcessorMetrics metrics;
    private final DrainConfig config;
    private final ReportLines lines;
    private final DrainStatus status;

    public DrainSequence(PartitionWork partitionWork, Delivery delivery, ProcessorMetrics metrics,
            DrainConfig config, ReportLines lines, DrainStatus status) {
        this.status = status;
        this.partitionWork = partitionWork;
        this.delivery = delivery;
        this.metrics = metrics;
        this.config = config;
        this.lines = lines;
    }

    /** Drains the partitions of the request's scope. New records of the scope must already have stopped starting. */
    public DrainReport drain(DrainRequest request) throws InterruptedException {
        long startNanos = System.nanoTime();
        Predicate<TopicPartition> scope = request.scope();
        Deadline deadline = request.deadline();
        Trigger trigger = request.trigger();

        // 1. In-flight records get the time that is left, less what the hand-off needs. With the auto reserve that
        // is sized again as the work runs: a broker that turns slow now grows it (never beyond its maximum).
        HandOffCost cost = new HandOffCost(config.handOffReserve(), config.handOffReserveMax(),
                metrics.handOffTimings(), deadline.remaining());
        HandOffCost.Sizing sizing = awaitWork(scope, deadline, cost);
        long workEnded = System.nanoTime();
        Duration reserve = sizing.reserve();
        // From the drain's start (SIGTERM) to the end of the work as planned: the deadline less the reserve.
        long workMs = Math.round(Duration.between(request.startedAt(), deadline.minus(reserve).at()).toNanos() / 1e6);

        // 2. Handlers still running are cancelled; a SUSPENDED event tells the world the next owner redoes them.
        // From here a shutdown's exit waits for the drain to write down what it handed off, not only the deadline.
        if (trigger == Trigger.SHUTDOWN) {
            status.handingOff();
        }
        List<StateEvent> suspended = partitionWork.suspendRunning(scope, trigger.tag());
        Deadline handOff = deadline.minus(reserve.dividedBy(2));
        List<StateEvent> unpublished = new ArrayList<>(publishSuspended(suspended, handOff));

        // 3. Records whose handler returned get the same time for the broker to acknowledge their outcome.
        partitionWork.awaitInFlight(scope, System.nanoTime() + handOff.remainingNanos());

        // 4. Commit exactly what finished: the engine's offsets stop at the first unfinished record.
        DrainCommit commit = delivery.commitDrain(scope, suspended, deadline.minus(reserve.dividedBy(4)),
                request.commitOn());
        commit.unconfirmed().forEach(outcome -> lines.unconfirmedOutcome(outcome,
                commit.unconfirmedWhy()));
        String commitError = commit.error();
        if (commitError != null) {
            // Nothing is lost: the previous commit stands, and the next owner starts from there.
            LOG.drainCouldNotCommit(commitError);
        }
        for (StateEvent event : commit.unpublished()) {
            lines.unpublishedState(event, "its transaction aborted: " + commitError);
            if (!unpublished.contains(event)) {
                unpublished.add(event);
            }
        }

        // 5. The report.
        ReserveReport reserveReport = new ReserveReport(config.handOffReserve().toString(), reserve.toMillis(),
                sizing.max().toMillis(), workMs, (System.nanoTime() - workEnded) / 1_000_000,
                config.handOffReserve().auto() ? HandOffCost.RULE : "fixed",
                ReserveReport.Figures.of(sizing.acknowledgements()), ReserveReport.Figures.of(sizing.commits()));
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        // A record whose handler crashed (a JVM Error) is handed off too: its next owner processes it.
        int handedOff = suspended.size() + commit.unconfirmed().size() + partitionWork.crashed(scope);
        int finished = Math.max(0, request.inFlightAtStart() - handedOff);
        metrics.drained(trigger.tag(), took, finished, handedOff);
        Map<String, Long> committed = new TreeMap<>();
        commit.offsets().forEach((partition, offset) -> {
            if (scope.test(partition)) {
                committed.put(partition.toString(), offset.offset());
            }
        });
        return new DrainReport("drain-report", trigger.tag(), request.startedAt(), request.allowed().toMillis(),
                took.toMillis(), request.inFlightAtStart(), finished, handedOff, unpublished.size(), committed,
                commitError, null, null, reserveReport);
    }

    /**
     * Waits for the records in flight until the deadline less the reserve, sizing the reserve again every
     * {@link #RESIZE}; returns the sizing in force when the work ended (all finished, or its time was up).
     */
    private HandOffCost.Sizing awaitWork(Predicate<TopicPartition> scope, Deadline deadline, HandOffCost cost)
            throws InterruptedException {
        HandOffCost.Sizing sizing = cost.size();
        while (true) {
            long workEnd = System.nanoTime() + deadline.minus(sizing.reserve()).remainingNanos();
            long slice = config.handOffReserve().auto()
                    ? Math.min(workEnd, System.nanoTime() + RESIZE.toNanos())
                    : workEnd;
            if (partitionWork.awaitInFlight(scope, slice) || System.nanoTime() - workEnd >= 0) {
                return sizing;
            }
            sizing = cost.size();
        }
    }

    /**
     * The records in flight on lost partitions, handed off: logged (one line each) and counted, never published, in
     * either delivery mode. The group has moved on, their partitions' new owner may have completed them already, and
     * the state topic is keyed by id: a SUSPENDED event from here would arrive after the new owner's COMPLETED and
     * stand as the record's last state for every reader that keeps one state per id (a compacted topic, a table).
     * The new owner's outcome is the last word.
     */
    public void handOffLost(List<StateEvent> events, Duration took) {
        events.forEach(event -> lines.unpublishedState(event,
                "partitions lost: the group has moved on, and their new owner's outcome is the last word"));
        metrics.drained(Trigger.PARTITIONS_LOST.tag(), took, 0, events.size());
    }

    /**
     * Publishes the SUSPENDED events and waits for the broker until the deadline.
     * Each event the broker did not take is written to the log as one JSON line:
     * nothing about a handed-off record is silently dropped.
     */
    public List<StateEvent> publishSuspended(List<StateEvent> events, Deadline deadline) throws InterruptedException {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (StateEvent event : events) {
            acks.add(delivery.publishSuspended(event));
        }
        List<StateEvent> unpublished = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            try {
                acks.get(i).get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                unpublished.add(events.get(i));
                lines.unpublishedState(events.get(i), e instanceof TimeoutException
                        ? "timed out waiting for the broker"
                        : String.valueOf(e.getCause()));
            }
        }
        return unpublished;
    }
}
