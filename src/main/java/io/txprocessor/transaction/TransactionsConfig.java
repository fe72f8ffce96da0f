package io.txprocessor.transaction;

import java.time.Duration;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

/**
 * The {@code transactions.*} knobs, by job: what the processor consumes ({@link InputConfig}), how much it does at
 * once ({@link WorkConfig}), where its outcomes go ({@link OutputConfig}), and which bundled handler runs (the
 * simulated one's knobs are {@code bundled.SimulatedHandlerConfig}). Every knob is in the README's configuration
 * table; the environment variable is the property upper-cased with dots and dashes as underscores
 * ({@code transactions.max-concurrency} is {@code TRANSACTIONS_MAX_CONCURRENCY}).
 */
@ConfigMapping(prefix = "transactions")
public interface TransactionsConfig {
    /** What the processor consumes, and what it accepts of each record. */
    @WithParentName
    InputConfig input();

    /** How much it does at once, in which order, and how often it commits. */
    @WithParentName
    WorkConfig work();

    /** Where the outcomes go, and with which delivery guarantee. */
    @WithParentName
    OutputConfig output();

    /**
     * Which bundled handler runs: {@code simulated} (pretends to work, see the {@code processing-time} knobs) or
     * {@code ledger} (books each transaction in a ledger over HTTP, see {@code LedgerConfig}) or {@code jdbc} (books
     * each transaction into PostgreSQL, see {@code JdbcConfig}). A {@link TransactionHandler} bean of your own
     * replaces them, whatever this says.
     */
    @WithDefault("simulated")
    HandlerKind handler();

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
        LEDGER,
        /** {@code io.txprocessor.jdbc.JdbcTransactionHandler}. */
        JDBC
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
