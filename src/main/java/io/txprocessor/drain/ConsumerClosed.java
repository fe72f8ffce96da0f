package io.txprocessor.drain;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

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

    /**
     * Runs after the connector's own {@code @BeforeDestroyed} observer ({@code @Priority(50)}), which closes the
     * consumer: from here on there is nothing left to wait for.
     */
    void onConsumerClosed(@Observes @BeforeDestroyed(ApplicationScoped.class) @Priority(AFTER_CONNECTOR) Object event) {
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
