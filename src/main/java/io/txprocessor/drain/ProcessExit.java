package io.txprocessor.drain;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.Application;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * When SIGTERM arrived, when the process must be gone, and with which status it goes.
 *
 * <p>
 * A JVM ended by SIGTERM exits with 143 whatever the application says, and Quarkus ignores exit codes set during
 * a signal-initiated shutdown. So a shutdown hook of our own waits until the drain is over and the connector has
 * closed the consumer (which leaves the group), then halts the JVM with the drain's status: 0 when everything in
 * flight finished, 1 when something was handed off. Nothing durable happens after that point (every state event
 * was acknowledged or logged, the commit is done), so the rest of Quarkus's stop is not waited for. If that point
 * is not reached by the deadline, it halts with 1 anyway: the process is gone before SIGKILL whatever a handler
 * or the broker does.
 */
@ApplicationScoped
public class ProcessExit {

    private static final Logger LOG = Logger.getLogger(ProcessExit.class);
    /** After KafkaConnector's terminate observer (priority 50) and the worker pools'. */
    private static final int AFTER_CONNECTOR = Interceptor.Priority.LIBRARY_AFTER + 1000;

    private final DrainConfig config;
    private final DrainStatus status;
    /**
     * {@link System#nanoTime()} at SIGTERM; 0 until then. Set by whichever thread
     * notices first.
     */
    private final AtomicLong signalledNanos = new AtomicLong();
    private volatile Instant signalledAt;
    /** Counted down once the Kafka connector has closed the consumer, or Quarkus has stopped altogether. */
    private final CountDownLatch consumerClosed = new CountDownLatch(1);

    public ProcessExit(DrainConfig config, DrainStatus status) {
        this.config = config;
        this.status = status;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.handOffReserve().plus(config.exitMargin()).compareTo(config.gracePeriod()) >= 0) {
            throw new IllegalStateException("drain.grace-period (" + config.gracePeriod()
                    + ") must be longer than drain.hand-off-reserve + drain.exit-margin (" + config.handOffReserve()
                    + " + " + config.exitMargin() + ")");
        }
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return; // dev mode and @QuarkusTest JVMs must not be halted by us
        }
        Thread hook = new Thread(this::exitWhenStopped, "drain-exit");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Marks the moment SIGTERM arrived (the first call wins) and returns the
     * shutdown's one deadline.
     */
    public Deadline signalled() {
        long now = System.nanoTime();
        if (signalledNanos.compareAndSet(0, now)) {
            signalledAt = Instant.now();
        }
        return Deadline.after(signalledNanos.get(), config.gracePeriod()).minus(config.exitMargin());
    }

    public Instant signalledAt() {
        return signalledAt;
    }

    /**
     * Runs after the connector's own {@code @BeforeDestroyed} observer ({@code @Priority(50)}), which closes the
     * consumer: from here on there is nothing left to wait for.
     */
    void onConsumerClosed(@Observes @BeforeDestroyed(ApplicationScoped.class) @Priority(AFTER_CONNECTOR) Object event) {
        consumerClosed.countDown();
    }

    private void exitWhenStopped() {
        Deadline deadline = signalled();
        Application application = Application.currentApplication();
        Thread waiter = new Thread(() -> {
            if (application != null) {
                application.awaitShutdown();
            }
            consumerClosed.countDown();
        }, "drain-exit-wait");
        waiter.setDaemon(true);
        waiter.start();
        boolean closed = false;
        try {
            closed = consumerClosed.await(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int exitStatus = status.exitStatus();
        if (!closed) {
            exitStatus = 1;
            LOG.errorf("shutdown not finished %s before SIGKILL; halting with status 1", config.exitMargin());
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(exitStatus);
    }
}
