package io.txprocessor.transaction;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.WithDefault;

/**
 * Where the outcomes go, how long publishing one may take, and with which delivery guarantee. Part of {@link TransactionsConfig}: the properties keep the {@code transactions.} prefix.
 */
public interface OutputConfig {

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

    /**
     * How long publishing one state event may take before the broker is considered
     * unreachable for it.
     */
    @WithDefault("10s")
    Duration publishTimeout();

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
    TransactionsConfig.Delivery delivery();

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
}
