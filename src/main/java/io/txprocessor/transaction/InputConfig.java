package io.txprocessor.transaction;

import java.util.Optional;

import io.smallrye.config.WithDefault;

/**
 * What the processor consumes and from which group, and what it accepts of each record. Part of {@link TransactionsConfig}: the properties keep the {@code transactions.} prefix.
 */
public interface InputConfig {

    /** Input topic: key = account id, value = transaction JSON. */
    @WithDefault("transactions")
    String topic();

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
     * {@code read_committed} (the default): records of upstream transactions that were aborted, or are still open,
     * are never delivered, let alone processed. {@code read_uncommitted} processes whatever was written, aborted
     * or not: only for producers that never abort.
     */
    @WithDefault("read_committed")
    TransactionsConfig.IsolationLevel isolationLevel();

    /**
     * The consumer group protocol: {@code classic} (the default), or {@code consumer} (KIP-848: the broker computes
     * the assignment and reconciles it per member, with no group-wide barrier). Under {@code consumer} the client
     * settings that protocol forbids ({@code session.timeout.ms}, {@code heartbeat.interval.ms},
     * {@code partition.assignment.strategy}) are not passed: the broker's {@code group.consumer.*} settings, or the
     * group's own configuration, decide them.
     */
    @WithDefault("classic")
    TransactionsConfig.GroupProtocol groupProtocol();

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
}
