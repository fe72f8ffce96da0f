package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.health.HealthReport;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import io.smallrye.reactive.messaging.kafka.impl.ReactiveKafkaConsumer;
import io.smallrye.reactive.messaging.providers.extension.HealthCenter;
import io.txprocessor.core.Deadline;
import io.txprocessor.engine.PartitionWork;
import io.txprocessor.engine.TransactionConsumer;

/**
 * What happens on SIGTERM (docker stop, ECS StopTask, a Kubernetes pod
 * deletion), top to bottom. Quarkus fires {@link ShutdownEvent} on its shutdown
 * thread while the consumer, the producer and the HTTP server are still open;
 * this observer blocks that thread until the drain is over. Then it closes the
 * consumer, which leaves the group, and {@link ProcessExit} ends the process with
 * the drain's status.
 */
@ApplicationScoped
public class ShutdownDrain {

    private static final DrainLog LOG = DrainLog.of(ShutdownDrain.class);
    /** The polling thread runs our pause between two polls (poll-timeout 25 ms); longer means it is stuck. */
    private static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(1);

    private final PartitionWork partitionWork;
    private final DrainSequence sequence;
    private final ReportLines lines;
    private final DrainStatus status;
    private final ProcessExit exit;
    private final DrainConfig config;
    private final KafkaClientService kafka;
    private final HealthCenter messagingHealth;
    private final ConsumerClosed consumerClosed;
    private final AtomicBoolean started = new AtomicBoolean();

    public ShutdownDrain(PartitionWork partitionWork, DrainSequence sequence, DrainStatus status, ProcessExit exit,
            DrainConfig config, KafkaClientService kafka, HealthCenter messagingHealth, ReportLines lines,
            ConsumerClosed consumerClosed) {
        this.consumerClosed = consumerClosed;
        this.partitionWork = partitionWork;
        this.lines = lines;
        this.sequence = sequence;
        this.status = status;
        this.exit = exit;
        this.config = config;
        this.kafka = kafka;
        this.messagingHealth = messagingHealth;
    }

    void onPreShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        drainOnce();
    }

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        drainOnce();
    }

    private void drainOnce() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        // The one deadline of this shutdown: SIGTERM + grace period - exit margin. Every step below works to it.
        ProcessExit.Signal signal = exit.signalled();
        Deadline deadline = signal.deadline();
        Instant startedAt = signal.at();

        // 1. Readiness turns DOWN: the orchestrator stops counting on this instance. Liveness stays UP.
        status.draining(deadline);

        // 2. No new record starts, and records fetched but not started are neither processed nor committed.
        int inFlightAtStart = partitionWork.stopForShutdown();
        LOG.shutdownDrainStarted(inFlightAtStart, deadline);

        // 3. The consumer fetches nothing more. The connector cannot resume the partitions behind our back: it
        // resumes only when its queue drains, and nothing takes from the queue any more.
        pauseAll(deadline);

        // 4. In-flight records get the time left; the rest is cancelled, SUSPENDED, and the finished committed.
        DrainReport report;
        try {
            report = sequence.drain(new DrainRequest(Trigger.SHUTDOWN, partition -> true, startedAt,
                    inFlightAtStart, config.gracePeriod(), deadline, new OnPollingThread(consumer())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status.drained(1);
            LOG.shutdownDrainInterrupted();
            return;
        } catch (RuntimeException e) {
            status.drained(1);
            LOG.shutdownDrainFailed(e);
            return;
        }

        // 5. The exit status says how it went: 0 all finished, 1 something was handed off.
        // An input channel that failed (an OutOfMemoryError in the connector, say) took nothing for a while: that
        // is never a clean run, whatever the drain itself did.
        String inputFailure = inputFailure();
        int exitStatus = report.handedOff() == 0 && report.commitError() == null && inputFailure == null ? 0 : 1;
        lines.report(withExitStatus(report, inputFailure, exitStatus));
        status.drained(exitStatus);

        // 6. Leave the group now (a dynamic member sends LeaveGroup on close, so its partitions move at once), not
        // when the connector's close comes round in Quarkus's stop, ~200 ms later; on a thread of its own, so that
        // the rest of the stop runs meanwhile. ProcessExit halts with the status once it is closed.
        closeConsumer(deadline, report.handOffReserve());
    }

    private void closeConsumer(Deadline deadline, ReserveReport reserve) {
        if (!(consumer() instanceof ReactiveKafkaConsumer<?, ?> reactive)) {
            return; // not SmallRye's own consumer: the connector closes it when Quarkus stops
        }
        consumerClosed.closingAfterDrain(deadline);
        long reported = System.nanoTime();
        Thread closer = new Thread(() -> {
            long start = System.nanoTime();
            try {
                // Idempotent: the connector's own close later finds it closed. Runs on the polling thread, bounded
                // by the channel's close-timeout.
                reactive.close();
                long now = System.nanoTime();
                LOG.consumerClosedAfterDrain((now - reported) / 1_000_000, (now - start) / 1_000_000, reserve.usedMs(),
                        reserve.reserveMs(), reserve.setting());
            } catch (RuntimeException e) {
                LOG.consumerNotClosedAfterDrain(e.toString());
            } finally {
                consumerClosed.closedAfterDrain();
            }
        }, "drain-consumer-close");
        closer.setDaemon(true);
        closer.start();
    }

    private void pauseAll(Deadline deadline) {
        try {
            consumer().runOnPollingThread(c -> {
                c.pause(c.assignment());
            }).await().atMost(min(PAUSE_TIMEOUT, deadline.remaining()));
        } catch (RuntimeException e) {
            // Not fatal: records that still arrive are not started (step 2). The polling thread may be stuck on a
            // hung broker; the drain must not wait for it.
            LOG.partitionsNotPaused(e.toString());
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return kafka.getConsumer(TransactionConsumer.CHANNEL);
    }

    /** What SmallRye Reactive Messaging reports as failed (a channel, or our consuming method); null if nothing. */
    private String inputFailure() {
        HealthReport liveness = messagingHealth.getLiveness();
        if (liveness.isOk()) {
            return null;
        }
        return liveness.getChannels().stream().filter(channel -> !channel.isOk())
                .map(channel -> channel.getChannel() + ": " + channel.getMessage()).toList().toString();
    }

    private static DrainReport withExitStatus(DrainReport r, String inputFailure, int exitStatus) {
        return new DrainReport(r.event(), r.trigger(), r.started(), r.gracePeriodMs(), r.durationMs(),
                r.inFlightAtStart(), r.finished(), r.handedOff(), r.unpublished(), r.committed(), r.commitError(),
                inputFailure, exitStatus, r.handOffReserve());
    }
}
