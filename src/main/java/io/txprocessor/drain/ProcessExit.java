package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.Application;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.txprocessor.core.Deadline;

/**
 * When SIGTERM arrived, when the process must be gone, and with which status it goes.
 *
 * <p>
 * A JVM ended by SIGTERM exits with 143 whatever the application says, and Quarkus ignores exit codes set during
 * a signal-initiated shutdown. So a shutdown hook of our own waits until the drain is over and the connector has
 * closed the consumer (which leaves the group), then halts the JVM with the drain's status: 0 when everything in
 * flight finished, 1 when something was handed off. Nothing durable happens after that point (every state event
 * was acknowledged or logged, the commit is done). If that point is not reached by the deadline, it halts with 1
 * anyway: the process is gone before SIGKILL whatever a handler or the broker does.
 *
 * <p>
 * One exception to halting at the deadline: a drain whose hand-off began before it. Every wait of a hand-off is
 * bounded by the deadline, so what can run past it is only the drain's own work on the CPU (cancelling handlers,
 * writing one line for each event the broker did not take, the report), and on a host whose cores others take
 * that can run past it. Halting then would cut those lines off, and they are the only record of what was handed
 * off; so the halt waits for the drain to be over until {@link #HALT_TIME} before SIGKILL, the time a halt itself
 * may take. With a hung broker on a starved CPU this was the difference between 64 lines and none.
 *
 * <p>
 * Why the rest of Quarkus's stop is still given {@link #STOP_WAIT}: {@link Runtime#halt} does not end the process
 * at once. HotSpot's exit waits up to 300 ms for every thread that sits in native code (a Vert.x event loop or a
 * Kafka network thread blocked in {@code epoll_wait}) to leave it ({@code VM_Exit::wait_for_threads_in_native_to_block}).
 * Halting while those threads still run cost ~300 ms per shutdown, measured; Quarkus closes them in well under that,
 * after which the halt is immediate.
 */
@ApplicationScoped
public class ProcessExit {

    private static final DrainLog LOG = DrainLog.of(ProcessExit.class);
    /** How long the rest of Quarkus's stop may take once the consumer is closed (see the class comment). */
    static final Duration STOP_WAIT = Duration.ofMillis(500);
    /** How long before SIGKILL a halt begins at the latest: HotSpot's exit may take 300 ms (see the class comment). */
    static final Duration HALT_TIME = Duration.ofMillis(300);

    private final DrainConfig config;
    private final DrainStatus status;
    /**
     * {@link System#nanoTime()} at SIGTERM; 0 until then. Set by whichever thread
     * notices first.
     */
    private final AtomicReference<Signal> signal = new AtomicReference<>();
    private final ConsumerClosed consumerClosed;
    /** Counted down once Quarkus has stopped altogether (its event loops and Kafka clients closed). */
    private final CountDownLatch applicationStopped = new CountDownLatch(1);

    public ProcessExit(DrainConfig config, DrainStatus status, ConsumerClosed consumerClosed) {
        this.config = config;
        this.status = status;
        this.consumerClosed = consumerClosed;
    }

    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return; // dev mode and @QuarkusTest JVMs must not be halted by us
        }
        Thread hook = new Thread(this::exitWhenStopped, "drain-exit");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * When SIGTERM arrived and the shutdown's one deadline (SIGTERM + grace period - exit margin).
     *
     * @param at wall-clock time of the signal, for reports
     * @param deadline the deadline every step of the shutdown works to
     */
    public record Signal(Instant at, Deadline deadline) {
    }

    /** Marks the moment SIGTERM arrived (the first caller wins: the hook or the drain) and returns it. */
    public Signal signalled() {
        // One reading of the clock for both: the signal's wall-clock time is the grace period before the end of
        // it, so that a thread descheduled between two readings does not shift one against the other.
        Deadline endOfGrace = Deadline.after(System.nanoTime(), config.gracePeriod());
        signal.compareAndSet(null, new Signal(endOfGrace.at().minus(config.gracePeriod()),
                endOfGrace.minus(config.exitMargin())));
        return signal.get();
    }

    private void exitWhenStopped() {
        Deadline deadline = signalled().deadline();
        Application application = Application.currentApplication();
        Thread waiter = new Thread(() -> {
            if (application != null) {
                application.awaitShutdown();
            }
            applicationStopped.countDown();
            consumerClosed.countDown();
        }, "drain-exit-wait");
        waiter.setDaemon(true);
        waiter.start();
        boolean closed = false;
        try {
            closed = consumerClosed.await(deadline.remainingNanos());
            if (!closed && status.inHandOff()) {
                // See the class comment: the hand-off's lines are written in full if they can be before SIGKILL.
                Deadline lastMoment = deadline.minus(HALT_TIME.minus(config.exitMargin()));
                if (status.awaitDrained(lastMoment.remainingNanos())) {
                    LOG.handOffWrittenAfterDeadline(Duration.ofNanos(-deadline.remainingNanos()));
                }
            }
            if (closed) {
                // Not a condition of the exit: only what makes the halt below immediate (see the class comment).
                applicationStopped.await(Math.min(STOP_WAIT.toNanos(), deadline.remainingNanos()),
                        TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int exitStatus = status.exitStatus();
        if (!closed && status.state() != DrainState.DRAINED) {
            exitStatus = 1;
            LOG.drainNotFinishedBeforeSigkill(config.exitMargin());
        } else if (!closed) {
            // The drain is over (commit done or reported failed); only closing the consumer overran. Its status
            // stands; the group notices the departure within session.timeout.ms.
            LOG.consumerNotClosedBeforeSigkill(config.exitMargin(), exitStatus);
        }
        // halt() skips the JVM's own flushing: the drain report must reach the log collector.
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(exitStatus);
    }
}
