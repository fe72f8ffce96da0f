package io.txprocessor.health;

import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.txprocessor.engine.TransactionConsumer;

/**
 * Proves the consumer's polling thread is alive: once a second it asks that thread to note the time, without
 * waiting for it. The time stops advancing only if polling is stuck (or a revocation drain holds the thread).
 */
@ApplicationScoped
public class PollingThreadHeartbeat {

    private final KafkaClientService kafka;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "polling-heartbeat");
        thread.setDaemon(true);
        return thread;
    });
    /** Written on the polling thread, read by health checks. */
    private volatile Instant lastBeat = Instant.now();

    public PollingThreadHeartbeat(KafkaClientService kafka) {
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) {
        timer.scheduleWithFixedDelay(this::beat, 1, 1, TimeUnit.SECONDS);
    }

    private void beat() {
        try {
            kafka.getConsumer(TransactionConsumer.CHANNEL).runOnPollingThread(consumer -> {
                lastBeat = Instant.now();
            }).subscribe().with(ignored -> {
            }, failure -> {
            });
        } catch (RuntimeException e) {
            // No consumer (yet, or any more): the beat stays where it was.
        }
    }

    /** When the polling thread last ran a heartbeat. */
    public Instant lastBeat() {
        return lastBeat;
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
