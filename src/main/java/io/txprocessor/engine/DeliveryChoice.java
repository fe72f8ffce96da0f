package io.txprocessor.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.Quarkus;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.core.Deadline;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.publish.ProducerSettings;
import io.txprocessor.publish.StatePublisher;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The one place that reads {@code transactions.delivery}: it chooses the {@link Delivery} once at start, configures
 * the state producer for it, and knows the settings each mode needs.
 */
@ApplicationScoped
public class DeliveryChoice {

    private static final EngineLog LOG = EngineLog.of(DeliveryChoice.class);

    /** The state producer; exactly once transactional, its transactions initialized. */
    @Produces
    @Singleton
    @Identifier(StatePublisher.STATE_PRODUCER)
    Producer<byte[], byte[]> stateProducer(TransactionsConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, InstanceName instance,
            @ConfigProperty(name = "drain.rebalance-timeout") Duration rebalanceTimeout, ProcessorMetrics metrics) {
        Map<String, Object> props = ProducerSettings.of(kafkaConfig, config);
        if (exactlyOnce(config)) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(config, instance));
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) config.output().transactionTimeout().toMillis());
            // A revocation drain commits on the polling thread, and commitTransaction blocks up to max.block.ms per
            // attempt (Kafka has no per-call timeout): half the rebalance timeout at most, so that one attempt begun
            // inside the drain cannot hold the polling thread much past it.
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    (int) Math.min(config.output().publishTimeout().toMillis(), rebalanceTimeout.toMillis() / 2));
        }
        // Timed: the drain sizes its hand-off reserve from what acknowledgements and commits cost.
        return prepared(new TimedStateProducer(
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()),
                metrics.handOffTimings()), config);
    }

    /**
     * The producer, ready for the delivery: exactly once, its transactions are initialized, which fences an earlier
     * incarnation with the same transactional.id (aborting its open transaction) before anything of ours is sent,
     * and the first one begun. Blocks up to publish-timeout; a broker that cannot be reached fails the start.
     */
    public static <P extends Producer<byte[], byte[]>> P prepared(P producer, TransactionsConfig config) {
        if (exactlyOnce(config)) {
            initTransactions(producer, Deadline.after(System.nanoTime(), config.output().publishTimeout()));
            producer.beginTransaction();
            LOG.exactlyOnceProducerReady();
        }
        return producer;
    }

    /**
     * {@code initTransactions}, retried until the deadline while it times out. One attempt blocks up to
     * {@code max.block.ms}, which the state producer keeps at half the rebalance timeout (see above), shorter than
     * a coordinator may take to be found: on a broker's first transactional use it is still creating its
     * transaction state topic (CI, with a 3 s rebalance timeout: "Timeout expired after 1500ms while awaiting
     * InitProducerId", and the start failed). Kafka allows the retry: it awaits the same request again.
     */
    private static void initTransactions(Producer<byte[], byte[]> producer, Deadline deadline) {
        while (true) {
            try {
                producer.initTransactions();
                return;
            } catch (TimeoutException e) {
                if (deadline.passed()) {
                    throw e;
                }
                LOG.initTransactionsRetried(e.getMessage(), deadline.remaining());
            }
        }
    }

    @Produces
    @Singleton
    Delivery delivery(TransactionsConfig config, CoreLock lock, PartitionWork partitionWork, StatePublisher publisher,
            @Identifier(StatePublisher.STATE_PRODUCER) Producer<byte[], byte[]> producer, ProcessorMetrics metrics,
            CommitSoon commitSoon) {
        return choose(config, lock, partitionWork, publisher, producer, metrics, commitSoon, Quarkus::asyncExit);
    }

    void close(@Disposes Delivery delivery) {
        delivery.close();
    }

    /**
     * The delivery the configuration names, on the caller's objects (tests build the engine by hand with it).
     *
     * @param producer the state producer, {@link #prepared}
     * @param exit ends the service with a status, when exactly once a fenced producer cannot go on
     */
    public static Delivery choose(TransactionsConfig config, CoreLock lock, PartitionWork partitionWork,
            StatePublisher publisher, Producer<byte[], byte[]> producer, ProcessorMetrics metrics,
            CommitSoon commitSoon, IntConsumer exit) {
        if (!exactlyOnce(config)) {
            return new AtLeastOnce(lock, partitionWork, publisher, metrics);
        }
        OutcomeSends sends = new OutcomeSends(lock, publisher);
        TransactionLifecycle transactions = new TransactionLifecycle(lock, sends, new ProducerTransaction(producer),
                metrics, exit);
        return new ExactlyOnce(partitionWork, publisher, transactions, sends, commitSoon,
                config.output().publishTimeout());
    }

    /** The transactional.id of this instance's state producer, exactly once. */
    public static String transactionalId(TransactionsConfig config, InstanceName instance) {
        return config.output().transactionalId().orElse(config.input().groupId() + "-" + instance.value());
    }

    /**
     * {@code transactions.max-pending-records}, or its default: 2000, or 8 × {@code max-concurrency} when that is
     * more; exactly once 20000 or 8 × {@code max-concurrency}, since records stay in the window until their
     * transaction commits and every commit costs round trips to the broker.
     */
    public static int window(TransactionsConfig config) {
        int floor = exactlyOnce(config) ? 20_000 : 2000;
        return config.work().maxPendingRecords().orElse(Math.max(floor, 8 * config.work().maxConcurrency()));
    }

    /** What the delivery mode asks of the other settings, as one line per problem. */
    public static void check(TransactionsConfig config, List<String> problems) {
        if (!exactlyOnce(config)) {
            return;
        }
        if (config.input().isolationLevel() != TransactionsConfig.IsolationLevel.READ_COMMITTED) {
            problems.add("transactions.delivery=exactly-once with transactions.isolation-level="
                    + config.input().isolationLevel().kafkaValue()
                    + " is not allowed: exactly once needs read_committed "
                    + "(an aborted upstream transaction's records would be processed and their outcomes committed)");
        }
        if (config.output().transactionTimeout().compareTo(config.work().commitInterval().multipliedBy(2)) <= 0) {
            problems.add("transactions.transaction-timeout=" + Deadline.text(config.output().transactionTimeout())
                    + " with transactions.commit-interval=" + Deadline.text(config.work().commitInterval())
                    + " is not allowed: a transaction stays open for a commit interval and its commit, so the "
                    + "timeout must be longer than twice the interval");
        }
    }

    /** Exactly once, a transaction must outlive a revocation drain and a commit interval. */
    public static void check(TransactionsConfig config, Duration rebalanceTimeout, List<String> problems) {
        if (!exactlyOnce(config)) {
            return;
        }
        Duration longestOpen = rebalanceTimeout.plus(config.work().commitInterval());
        if (config.output().transactionTimeout().compareTo(longestOpen) <= 0) {
            problems.add("transactions.transaction-timeout=" + Deadline.text(config.output().transactionTimeout())
                    + " with drain.rebalance-timeout=" + Deadline.text(rebalanceTimeout)
                    + " and transactions.commit-interval=" + Deadline.text(config.work().commitInterval())
                    + " is not allowed: a transaction can stay open through a revocation drain and a commit "
                    + "interval, so the timeout must be longer than the two together");
        }
    }

    private static boolean exactlyOnce(TransactionsConfig config) {
        return config.output().delivery() == TransactionsConfig.Delivery.EXACTLY_ONCE;
    }
}
