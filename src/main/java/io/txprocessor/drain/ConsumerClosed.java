package io.txprocessor.drain;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

import io.txprocessor.core.Deadline;

/**
 * Whether the Kafka connector has closed the consumer (or Quarkus has stopped altogether): {@link ProcessExit}
 * waits for it before halting.
 *
 * <p>
 * A bean of its own with nothing injected: the container delivers {@code @BeforeDestroyed} even when the start
 * failed on a bad setting, and an observer on a bean that needs the configuration would then fail again, with a
 * screen of stack traces above the one line that says what is wrong.
 */
@Singleton
public class ConsumerClosed {

    /** After KafkaConnector's terminate observer (priority 50) and the worker pools'. */
    private static final int AFTER_CONNECTOR = Interceptor.Priority.LIBRARY_AFTER + 1000;

    private final CountDownLatch closed = new CountDownLatch(1);
    /** Counted down when the shutdown drain's own close of the consumer has ended. */
    private final CountDownLatch closedByTheDrain = new CountDownLatch(1);
    /** Set when the shutdown drain began closing the consumer itself: until when its close may take. */
    private volatile Deadline drainCloseBy;

    /**
     * Runs after the connector's own {@code @BeforeDestroyed} observer ({@code @Priority(50)}), which closes the
     * consumer: from here on there is nothing left to wait for.
     */
    void onConsumerClosed(@Observes @BeforeDestroyed(ApplicationScoped.class) @Priority(AFTER_CONNECTOR) Object event) {
        Deadline by = drainCloseBy;
        if (by != null) {
            // The drain closes the consumer on a thread of its own (the connector's close then returns at once):
            // the beans its rebalance listener calls stay until that close has ended, or the deadline.
            try {
                closedByTheDrain.await(by.remainingNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        countDown();
    }

    /** The shutdown drain is closing the consumer itself, right after its report, by {@code by}. */
    public void closingAfterDrain(Deadline by) {
        drainCloseBy = by;
    }

    /** The shutdown drain's close of the consumer has ended (closed, or failed): nothing is left to wait for. */
    public void closedAfterDrain() {
        closedByTheDrain.countDown();
        countDown();
    }

    /** Marks the consumer closed; also called when Quarkus has stopped without the event. */
    public void countDown() {
        closed.countDown();
    }

    /** Waits up to {@code nanos} for the consumer to close; true if it did. */
    public boolean await(long nanos) throws InterruptedException {
        return closed.await(nanos, TimeUnit.NANOSECONDS);
    }
}
