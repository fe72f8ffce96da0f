package io.txprocessor.drain;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Singleton;

import io.txprocessor.core.Deadline;

/**
 * Whether the service is draining, and until when. Written by the drain thread, read by health checks and
 * metrics on other threads: every field is volatile.
 *
 * <p>
 * A {@code @Singleton}, not a client proxy: {@link ProcessExit} reads the exit status after the CDI container
 * has shut down, when a proxy would hand it a fresh instance.
 */
@Singleton
public class DrainStatus {

    private volatile DrainState state = DrainState.RUNNING;
    private volatile Deadline deadline;
    /** 1 until a shutdown drain completes: any other way out (a crash in the drain, no drain) is not clean. */
    private volatile int exitStatus = 1;
    /** Set when the service cannot run at all (Kafka refused its credentials): the exit is 1 whatever the drain. */
    private volatile boolean startFailed;
    /** Set when the shutdown drain's work is over and its hand-off has begun (see {@link #handingOff()}). */
    private volatile boolean handingOff;
    /** Counted down once the shutdown drain is over and its report written. */
    private final CountDownLatch over = new CountDownLatch(1);

    public DrainState state() {
        return state;
    }

    public boolean shuttingDown() {
        return state != DrainState.RUNNING;
    }

    void draining(Deadline deadline) {
        this.deadline = deadline;
        this.state = DrainState.DRAINING;
    }

    /** The service cannot run (refused credentials, say) and is stopping: its exit status is 1. */
    public void startFailed() {
        this.startFailed = true;
    }

    /**
     * The shutdown drain's work is over: from here it only hands off what did not finish, and writes down what it
     * did, each wait bounded by the deadline. {@link ProcessExit} lets that run to its end rather than halt in the
     * middle of the lines that are the only record of what was handed off.
     */
    void handingOff() {
        this.handingOff = true;
    }

    /** True once the shutdown drain's hand-off has begun and until the drain is over. */
    boolean inHandOff() {
        return handingOff && state == DrainState.DRAINING;
    }

    /** The shutdown drain is over, its report written. */
    void drained(int exitStatus) {
        this.exitStatus = exitStatus;
        this.state = DrainState.DRAINED;
        this.deadline = null;
        over.countDown();
    }

    /** Waits up to {@code nanos} for the shutdown drain to be over; true if it is. */
    boolean awaitDrained(long nanos) throws InterruptedException {
        return over.await(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    /** The earlier of {@code other} and the shutdown's deadline, if a shutdown drain is under way. */
    public Deadline earlierOf(Deadline other) {
        Deadline shutdown = deadline;
        return shutdown != null && shutdown.remainingNanos() < other.remainingNanos() ? shutdown : other;
    }

    /**
     * The status the process exits with: 0 all finished, 1 something was handed
     * off or the service could not run at all.
     */
    public int exitStatus() {
        return startFailed ? 1 : exitStatus;
    }

    /** Time left until the shutdown deadline; zero when not draining. */
    public Duration deadlineRemaining() {
        Deadline current = deadline;
        return current == null ? Duration.ZERO : current.remaining();
    }
}
