package io.txprocessor.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;

import io.txprocessor.transaction.TransactionsConfig;

/** The state producer's configuration, in both delivery modes; exactly once adds its own on top. */
public final class ProducerSettings {

    private ProducerSettings() {
    }

    /**
     * {@code kafka.*} of the application configuration (bootstrap servers, TLS, SASL), then ours: acknowledged by
     * every in-sync replica, idempotent, each call bounded by {@code transactions.publish-timeout}.
     */
    public static Map<String, Object> of(Map<String, Object> kafkaConfig, TransactionsConfig config) {
        Duration publishTimeout = config.output().publishTimeout();
        Map<String, Object> props = new HashMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (!key.startsWith("group.")) {
                props.put(key, value);
            }
        });
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "transaction-processor-states");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
        // A dead-lettered value may be as large as the broker accepts, plus our headers.
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024);
        int timeoutMs = (int) publishTimeout.toMillis();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(timeoutMs, 2 + Math.min(timeoutMs, 30_000)));
        return props;
    }
}
