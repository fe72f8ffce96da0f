package io.txprocessor.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Publishes state events and dead letters with a producer of its own, so that
 * the drain controls every timeout (the connector's outgoing channels would
 * close on their own schedule). A record counts as finished only when its event
 * is acknowledged by the broker: a transaction is never committed without its
 * state being published.
 *
 * <p>
 * Exactly once ({@code transactions.delivery=exactly-once}) the producer is transactional: every send goes into
 * the open transaction, and the engine's {@code ExactlyOnceCommits} commits or aborts it with
 * {@link #closeTransaction()} held, so that no send slips between computing a transaction's offsets and committing
 * it. Sends hold the shared side of that lock only while {@code send()} runs.
 *
 * <p>
 * Thread-safe: {@link KafkaProducer} is; callbacks complete on the producer's
 * I/O thread.
 */
@ApplicationScoped
public class StatePublisher {

    /** Dead-letter headers, named as the SmallRye connector names its own. */
    public static final String DLQ_REASON = "dead-letter-reason";
    public static final String DLQ_CAUSE = "dead-letter-cause";
    public static final String DLQ_TOPIC = "dead-letter-topic";
    public static final String DLQ_PARTITION = "dead-letter-partition";
    public static final String DLQ_OFFSET = "dead-letter-offset";
    /** Set when the value could not be carried: it stays in the source topic at the offset the headers name. */
    public static final String DLQ_VALUE_OMITTED = "dead-letter-value-omitted";

    private static final Logger LOG = Logger.getLogger(StatePublisher.class);

    private final TransactionsConfig config;
    private final ObjectMapper mapper;
    private final Producer<byte[], byte[]> producer;
    private final boolean transactional;
    /** Exactly once: sends share it, a commit or an abort takes it alone. */
    private final ReentrantReadWriteLock transaction = new ReentrantReadWriteLock();
    /** Exactly once: sends into the open transaction (state events, dead letters, SUSPENDED events). */
    private final AtomicInteger sentInTransaction = new AtomicInteger();
    /** Exactly once: set while a commit or an abort waits for, or holds, the transaction alone. */
    private volatile boolean closing;
    /** Runs sends that must not block their caller; daemon, so a send stuck on a dead broker holds no exit. */
    private final ExecutorService detached = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "state-publisher-detached");
        thread.setDaemon(true);
        return thread;
    });

    @Inject
    public StatePublisher(TransactionsConfig config, ObjectMapper mapper,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, InstanceName instance,
            @ConfigProperty(name = "drain.rebalance-timeout") Duration rebalanceTimeout) {
        this(config, mapper, new KafkaProducer<>(producerConfig(kafkaConfig, config, instance, rebalanceTimeout),
                new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /** With a producer of the caller's (Kafka's {@code MockProducer} in tests of what sits on top). */
    public StatePublisher(TransactionsConfig config, ObjectMapper mapper, Producer<byte[], byte[]> producer) {
        this.config = config;
        this.mapper = mapper;
        this.producer = producer;
        this.transactional = config.exactlyOnce();
        if (transactional) {
            // Fences an earlier incarnation with the same transactional.id (aborting its open transaction) before
            // anything of ours is sent. Blocks up to publish-timeout; a broker that cannot be reached fails the start.
            producer.initTransactions();
            producer.beginTransaction();
            LOG.infof("exactly-once delivery: transactional state producer ready");
        }
    }

    /** Created at start: exactly once, the producer's transactions are initialized before any record is taken. */
    void onStart(@Observes StartupEvent event) {
        LOG.debugf("state publisher started (%s)", config.delivery());
    }

    /** The transactional.id of this instance's state producer, exactly once. */
    public static String transactionalId(TransactionsConfig config, InstanceName instance) {
        return config.transactionalId().orElse(config.groupId() + "-" + instance.value());
    }

    private static Map<String, Object> producerConfig(Map<String, Object> kafkaConfig, TransactionsConfig config,
            InstanceName instance, Duration rebalanceTimeout) {
        Duration publishTimeout = config.publishTimeout();
        Map<String, Object> props = new HashMap<>();
        // kafka.* from the application configuration: bootstrap servers, TLS, SASL.
        kafkaConfig.forEach((key, value) -> {
            if (!key.startsWith("group.")) {
                props.put(key, value);
            }
        });
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "transaction-processor-states");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        // A dead-lettered value may be as large as the broker accepts, plus our
        // headers.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        int timeoutMs = (int) publishTimeout.toMillis();
        // Exactly once, a revocation drain commits on the polling thread, and commitTransaction blocks up to
        // max.block.ms per attempt (Kafka has no per-call timeout): half the rebalance timeout at most, so that one
        // attempt begun inside the drain cannot hold the polling thread much past it.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.exactlyOnce()
                ? (int) Math.min(timeoutMs, rebalanceTimeout.toMillis() / 2)
                : timeoutMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(timeoutMs, 2 + Math.min(timeoutMs, 30_000)));
        if (config.exactlyOnce()) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(config, instance));
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.transactionTimeout().toMillis());
        }
        return props;
    }

    /**
     * Publishes a state event; the future completes when the broker has it, or
     * fails. Never blocks long, and never throws: every failure fails the future,
     * because callers finish the record only in its callback.
     */
    public CompletableFuture<Void> publish(StateEvent event) {
        try {
            byte[] value = mapper.writeValueAsBytes(event);
            return send(new ProducerRecord<>(config.statesTopic(), null, event.id().getBytes(StandardCharsets.UTF_8),
                    value));
        } catch (JsonProcessingException | RuntimeException e) {
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
            return send(new ProducerRecord<>(config.deadLetterTopic(), null, record.key(),
                    omitValue ? null : record.value(), deadLetterHeaders(record, reason, cause, omitValue)));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The dead letter's headers: the record's own, then ours, the reason and the cause cut to
     * {@link BoundedText#MAX_CHARS}. Static and package-private so that a unit test checks them without a broker.
     */
    static Headers deadLetterHeaders(ConsumerRecord<byte[], byte[]> record, String reason, String cause,
            boolean omitValue) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(header);
        }
        // Both come from the failure (the parser's message quotes the input): bounded, like a state event's reason.
        headers.add(DLQ_REASON, utf8(BoundedText.of(reason)));
        headers.add(DLQ_CAUSE, utf8(BoundedText.of(cause)));
        headers.add(DLQ_TOPIC, utf8(record.topic()));
        headers.add(DLQ_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(DLQ_OFFSET, utf8(Long.toString(record.offset())));
        if (omitValue) {
            // A tombstone has no value to omit; the header is still set, since the engine asked for it.
            headers.add(DLQ_VALUE_OMITTED, utf8(record.value() == null
                    ? "the record had no value"
                    : "value of " + record.value().length + " bytes too large to forward"));
        }
        return headers;
    }

    /**
     * Like {@link #publish(StateEvent)}, but never blocks the caller: {@code KafkaProducer.send} itself blocks (up
     * to max.block.ms) while the topic's metadata is unknown, as when the broker hangs before we ever published.
     * A drain uses this so that its deadline, not the producer, decides how long it waits.
     */
    public CompletableFuture<Void> publishDetached(StateEvent event) {
        try {
            return CompletableFuture.supplyAsync(() -> publish(event), detached).thenCompose(acked -> acked);
        } catch (RuntimeException e) {
            // The executor refuses work once close() has shut it down.
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
        if (transactional) {
            return inTransaction(() -> {
                sentInTransaction.incrementAndGet();
                return sendNow(record);
            });
        }
        return sendNow(record);
    }

    private CompletableFuture<Void> sendNow(ProducerRecord<byte[], byte[]> record) {
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
            // send() throws instead of calling back when it cannot even queue the record
            // (metadata timeout...).
            acked.completeExceptionally(e);
        }
        return acked;
    }

    // ---- exactly once

    /**
     * Runs {@code sends} inside the open transaction: no commit or abort happens while it runs. Exactly once only;
     * reentrant.
     */
    public <T> T inTransaction(Supplier<T> sends) {
        transaction.readLock().lock();
        try {
            return sends.get();
        } finally {
            transaction.readLock().unlock();
        }
    }

    /**
     * Like {@link #inTransaction}, but only if no commit or abort is underway or waiting: returns false at once
     * instead of waiting for it (a worker queues its outcome rather than idling through a commit).
     */
    public boolean tryInTransaction(Runnable sends) {
        if (closing || !transaction.readLock().tryLock()) {
            return false;
        }
        try {
            sends.run();
            return true;
        } finally {
            transaction.readLock().unlock();
        }
    }

    /**
     * Stops sends from entering the open transaction until {@link ClosedTransaction#close()}: what is sent from
     * then on goes into the next one. Held while committing or aborting.
     */
    public ClosedTransaction closeTransaction() {
        closing = true; // from now on tryInTransaction gives way, so that this cannot be starved
        transaction.writeLock().lock();
        return new ClosedTransaction();
    }

    /**
     * As {@link #closeTransaction()}, waiting at most {@code timeoutNanos} for a commit or abort underway (the
     * timer's, stuck on a slow broker) to end: null when it did not. A drain passes what its deadline leaves.
     */
    public ClosedTransaction closeTransaction(long timeoutNanos) throws InterruptedException {
        closing = true;
        if (!transaction.writeLock().tryLock(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS)) {
            closing = transaction.isWriteLocked(); // the other closer still holds it
            return null;
        }
        return new ClosedTransaction();
    }

    /** The open transaction, closed to new sends; commit it or abort it, then {@link #close()} it. */
    public final class ClosedTransaction implements AutoCloseable {

        private ClosedTransaction() {
        }

        /** True when something was sent into it: it must commit (or abort) even without offsets. */
        public boolean hasSends() {
            return sentInTransaction.get() > 0;
        }

        /**
         * Adds the input offsets to the open transaction, fenced by the consumer group's generation: the broker
         * refuses them (and the caller aborts) when the group has moved on. Throws what the producer throws.
         */
        public void sendOffsets(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
        }

        /**
         * Commits the open transaction and begins the next. Throws what the producer throws: a {@code TimeoutException}
         * (the caller commits again: nothing else is allowed then), or an error on which the caller aborts or gives
         * up on a fenced producer.
         */
        public void commitAndBegin() {
            producer.commitTransaction();
            sentInTransaction.set(0);
            producer.beginTransaction();
        }

        /** Aborts the open transaction (nothing of it becomes visible) and begins the next. */
        public void abort() {
            producer.abortTransaction();
            sentInTransaction.set(0);
            producer.beginTransaction();
        }

        @Override
        public void close() {
            closing = false;
            transaction.writeLock().unlock();
        }
    }

    @PreDestroy
    void close() {
        // The drain has already waited for what mattered; do not let a dead broker hold
        // the exit.
        detached.shutdownNow();
        producer.close(Duration.ofSeconds(1));
        LOG.debug("state producer closed");
    }

    private static byte[] utf8(String text) {
        return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    }
}
