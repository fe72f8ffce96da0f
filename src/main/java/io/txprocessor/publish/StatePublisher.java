package io.txprocessor.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Publishes state events and dead letters with a producer of its own, so that the drain controls every timeout (the
 * connector's outgoing channels would close on their own schedule). Only sends: which transaction a send belongs to,
 * exactly once, is the engine's delivery's business, and so is the producer's configuration.
 *
 * <p>
 * Thread-safe: {@link Producer} is; callbacks complete on the producer's I/O thread.
 */
@ApplicationScoped
public class StatePublisher {

    private static final Logger LOG = Logger.getLogger(StatePublisher.class);

    private final TransactionsConfig config;
    private final Producer<byte[], byte[]> producer;
    /** Runs sends that must not block their caller; daemon, so a send stuck on a dead broker holds no exit. */
    private final ExecutorService detached = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "state-publisher-detached");
        thread.setDaemon(true);
        return thread;
    });

    /** With the state producer ({@code engine.DeliveryChoice} configures it), or Kafka's {@code MockProducer}. */
    @Inject
    public StatePublisher(TransactionsConfig config,
            @Identifier(STATE_PRODUCER) Producer<byte[], byte[]> producer) {
        this.config = config;
        this.producer = producer;
    }

    /** The name of the state producer bean. */
    public static final String STATE_PRODUCER = "state-producer";

    /** Created at start, and with it the producer: exactly once, its transactions are initialized then. */
    void onStart(@Observes StartupEvent event) {
        LOG.debug("state publisher started");
    }

    /**
     * Publishes a state event; the future completes when the broker has it, or
     * fails. Never blocks long, and never throws: every failure fails the future,
     * because callers finish the record only in its callback.
     */
    public CompletableFuture<Void> publish(StateEvent event) {
        try {
            return send(new ProducerRecord<>(config.output().statesTopic(), null,
                    event.id().getBytes(StandardCharsets.UTF_8), StateEventJson.bytes(event)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Sends a record that is not a transaction to the dead-letter topic, key, value and headers unchanged, plus
     * headers naming the error and where it came from. With {@code omitValue} (the value plus our headers is more
     * than the broker accepts) the value is left out and a header says so. Never throws: a failure fails the
     * future, as for {@link #publish(StateEvent)}.
     */
    public CompletableFuture<Void> deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, String cause,
            boolean omitValue) {
        try {
            return send(new ProducerRecord<>(config.output().deadLetterTopic(), null, record.key(),
                    omitValue ? null : record.value(), DeadLetters.headers(record, reason, cause, omitValue)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Runs {@code send} on a thread of its own, so that it never blocks the caller: {@code KafkaProducer.send}
     * itself blocks (up to max.block.ms) while the topic's metadata is unknown, as when the broker hangs before we
     * ever published. A drain uses this so that its deadline, not the producer, decides how long it waits.
     */
    public CompletableFuture<Void> detached(Supplier<CompletableFuture<Void>> send) {
        try {
            return CompletableFuture.supplyAsync(send, detached).thenCompose(acked -> acked);
        } catch (RuntimeException e) {
            // The executor refuses work once close() has shut it down.
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    acked.complete(null);
                } else {
                    acked.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            // send() throws instead of calling back when it cannot even queue the record (metadata timeout...).
            acked.completeExceptionally(e);
        }
        return acked;
    }

    @PreDestroy
    void close() {
        // The drain has already waited for what mattered; do not let a dead broker hold
        // the exit.
        detached.shutdownNow();
        producer.close(Duration.ofSeconds(1));
        LOG.debug("state producer closed");
    }
}
