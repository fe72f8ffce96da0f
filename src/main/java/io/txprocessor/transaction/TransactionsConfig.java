package io.txprocessor.transaction;

import java.time.Duration;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

/**
 * What the processor consumes, where it publishes, and how much it does at
 * once. Every method is a knob in the README's configuration table; the
 * environment variable is the property upper-cased with dots and dashes as
 * underscores ({@code transactions.max-concurrency} is
 * {@code TRANSACTIONS_MAX_CONCURRENCY}).
 */
@ConfigMapping(prefix = "transactions")
public interface TransactionsConfig {

    /** Input topic: key = account id, value = transaction JSON. */
    @WithDefault("transactions")
    String topic();

    /**
     * Topic the state events (COMPLETED, FAILED, SUSPENDED) go to, keyed by
     * transaction id.
     */
    @WithDefault("transaction-states")
    String statesTopic();

    /**
     * Topic that receives unparseable input unchanged, with headers naming the
     * error and the source.
     */
    @WithDefault("transactions-dlq")
    String deadLetterTopic();

    /** Consumer group of all instances. */
    @WithDefault("transaction-processor")
    String groupId();

    /**
     * Static membership (KIP-345): a stable id per instance (a StatefulSet pod name, say). A restart in place then
     * gets its partitions back without a rebalance, but a stopped static member does not leave the group: its
     * partitions wait for session.timeout.ms (10 s here) before moving. Unset (the default): a dynamic member that
     * leaves the group on SIGTERM, so its partitions move at once.
     */
    Optional<String> groupInstanceId();

    /**
     * Which bundled handler runs: {@code simulated} (pretends to work, see the {@code processing-time} knobs) or
     * {@code ledger} (books each transaction in a ledger over HTTP, see {@code LedgerConfig}). A
     * {@link TransactionHandler} bean of your own replaces both, whatever this says.
     */
    @WithDefault("simulated")
    HandlerKind handler();

    /**
     * Records processed at the same time, across all partitions (worker threads).
     */
    @WithDefault("64")
    int maxConcurrency();

    /**
     * Offsets the processor holds at most, counted per partition from its first unfinished record to the last one
     * fetched (finished records behind a slow one count too); above it, fetching pauses until the first unfinished
     * ones finish. Bounds memory and the finished offsets a commit must carry, even behind a stuck record. Unset:
     * 2000, or 8 × {@code max-concurrency} when that is more (the window must hold every worker's record and those
     * finished behind the slowest; at 2000, 1,024 workers did a quarter of what 8,192 let them do); exactly once,
     * 20000 or 8 × {@code max-concurrency}, since records stay in it until their transaction commits and every
     * commit costs round trips to the broker.
     */
    Optional<Integer> maxPendingRecords();

    /**
     * Bytes (key plus value) of the records the processor holds at most, besides {@code max-pending-records}: a
     * backlog of large records pauses fetching before it exhausts the heap. Unset: a quarter of the maximum heap.
     * Accepts sizes like {@code 64M}.
     */
    @WithConverter(MemorySizeConverter.class)
    Optional<MemorySize> maxPendingBytes();

    /**
     * {@code read_committed} (the default): records of upstream transactions that were aborted, or are still open,
     * are never delivered, let alone processed. {@code read_uncommitted} processes whatever was written, aborted
     * or not: only for producers that never abort.
     */
    @WithDefault("read_committed")
    IsolationLevel isolationLevel();

    /**
     * The consumer group protocol: {@code classic} (the default), or {@code consumer} (KIP-848: the broker computes
     * the assignment and reconciles it per member, with no group-wide barrier). Under {@code consumer} the client
     * settings that protocol forbids ({@code session.timeout.ms}, {@code heartbeat.interval.ms},
     * {@code partition.assignment.strategy}) are not passed: the broker's {@code group.consumer.*} settings, or the
     * group's own configuration, decide them.
     */
    @WithDefault("classic")
    GroupProtocol groupProtocol();

    /**
     * Which records must not run at the same time: {@code key} (per record key, the account id by the input
     * contract; records without a key per partition), {@code partition}, {@code unordered}.
     */
    @WithDefault("key")
    Ordering ordering();

    /**
     * How often finished offsets are committed while running; exactly once, how often a producer transaction commits
     * (so how long a state event takes at most to become visible to {@code read_committed} readers).
     */
    @WithDefault("1s")
    Duration commitInterval();

    /**
     * {@code at-least-once} (the default): a state event is published as soon as its handler returns, and a record
     * whose outcome was published may be processed again after a SIGKILL or a frozen instance (its next owner starts
     * from the last commit). {@code exactly-once}: state events, dead letters and the input offsets are committed
     * in one producer transaction every {@code commit-interval} and at the end of every drain, fenced by the consumer
     * group's generation; a killed or zombie instance's outcomes never become visible to {@code read_committed}
     * readers. Costs up to one commit interval of latency. Needs {@code isolation-level=read_committed} and readers
     * of the state topic that read {@code read_committed}.
     */
    @WithDefault("at-least-once")
    Delivery delivery();

    /**
     * Exactly once: the state producer's {@code transactional.id}. Unset: {@code <group-id>-<HOSTNAME>}, so that an
     * instance restarted under the same name (a StatefulSet pod, an ECS task with a fixed hostname) aborts its
     * predecessor's open transaction at once; under a new name that transaction stays open, holding back every
     * {@code read_committed} reader of the state topic, until {@code transaction-timeout}. Two running instances
     * must never share it: the later one fences the earlier, which exits.
     */
    Optional<String> transactionalId();

    /**
     * Exactly once: the producer's {@code transaction.timeout.ms}. The broker aborts a transaction left open longer
     * (by a SIGKILLed or frozen instance); until then, plus up to the broker's
     * {@code transaction.abort.timed.out.transaction.cleanup.interval.ms} (10 s by default), {@code read_committed}
     * readers of the state topic wait. Must be longer than twice {@code commit-interval}, and longer than
     * {@code drain.rebalance-timeout} plus a commit interval (a revocation drain holds the polling thread, so the
     * transaction open when it began commits only at its end), and at most the broker's
     * {@code transaction.max.timeout.ms} (15 minutes by default). The default, 15 s, fits that inside the 30 s grace
     * period of ECS and Kubernetes.
     */
    @WithDefault("15s")
    Duration transactionTimeout();

    /**
     * How long publishing one state event may take before the broker is considered
     * unreachable for it.
     */
    @WithDefault("10s")
    Duration publishTimeout();

    /**
     * Longest transaction id accepted, in bytes of UTF-8; a longer one is dead-lettered with reason
     * {@code id-too-long}. The id is the state topic's key and the handler's idempotency key: it must stay small.
     */
    @WithDefault("256")
    int maxIdLength();

    /**
     * Longest account id accepted, in bytes of UTF-8; a longer one is dead-lettered with reason
     * {@code account-too-long}. The account orders records and is in every state event.
     */
    @WithDefault("256")
    int maxAccountLength();

    /** The consumer's {@code isolation.level}. */
    enum IsolationLevel {
        /** Only records of committed transactions (and of non-transactional producers). */
        READ_COMMITTED,
        /** Every record written, including those of aborted transactions. */
        READ_UNCOMMITTED;

        /** The value Kafka's {@code isolation.level} takes. */
        public String kafkaValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Delivery guarantees of the state events. */
    enum Delivery {
        /** Published as each handler returns; processed again after a SIGKILL. */
        AT_LEAST_ONCE,
        /** Committed with the input offsets in one producer transaction (KIP-447). */
        EXACTLY_ONCE
    }

    /** Consumer group protocols (Kafka's {@code group.protocol}). */
    enum GroupProtocol {
        /** The rebalance protocol every Kafka version speaks: the group stops while it rebalances. */
        CLASSIC,
        /** KIP-848 (Kafka 4.0+): incremental, broker-side assignment; commits checked against the member epoch. */
        CONSUMER;

        /** The value Kafka's {@code group.protocol} takes. */
        public String kafkaValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The bundled handlers. */
    enum HandlerKind {
        /** {@code bundled.SimulatedTransactionHandler}. */
        SIMULATED,
        /** {@link io.txprocessor.ledger.LedgerTransactionHandler}. */
        LEDGER
    }

    /** Ordering modes. */
    enum Ordering {
        /**
         * Records of the same key (the account id) one at a time, in offset order; different keys concurrently.
         */
        KEY,
        /** Records of the same partition one at a time, in offset order. */
        PARTITION,
        /** No ordering: any records concurrently. */
        UNORDERED
    }
}
