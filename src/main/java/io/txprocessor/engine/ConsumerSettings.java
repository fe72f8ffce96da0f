package io.txprocessor.engine;

import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.config.Config;

import io.smallrye.reactive.messaging.ClientCustomizer;
import io.txprocessor.transaction.TransactionsConfig;
import io.txprocessor.transaction.TransactionsConfig.GroupProtocol;

/**
 * Consumer settings of the {@value TransactionConsumer#CHANNEL} channel that depend on our configuration or on our
 * objects, which application.properties cannot express: the isolation level, static membership (an empty
 * {@code group.instance.id} is invalid), the group protocol (and the classic-only settings it drops), and the
 * interceptor that feeds {@link PollWatch}. The connector
 * applies them last, on top of the channel's and the {@code kafka.*} settings.
 */
@ApplicationScoped
public class ConsumerSettings implements ClientCustomizer<Map<String, Object>> {

    /** Client settings of the classic protocol that {@code group.protocol=consumer} refuses. */
    static final List<String> CLASSIC_ONLY = List.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG);

    private final TransactionsConfig config;
    private final PollWatch positions;

    public ConsumerSettings(TransactionsConfig config, PollWatch positions) {
        this.config = config;
        this.positions = positions;
    }

    @Override
    public Map<String, Object> customize(String channel, Config channelConfig, Map<String, Object> settings) {
        if (!TransactionConsumer.CHANNEL.equals(channel)) {
            return settings;
        }
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, config.input().isolationLevel().kafkaValue());
        settings.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, PollWatch.Interceptor.class.getName());
        settings.put(PollWatch.CONFIG_KEY, positions);
        config.input().groupInstanceId()
                .filter(id -> !id.isBlank())
                .ifPresent(id -> settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        settings.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, config.input().groupProtocol().kafkaValue());
        if (config.input().groupProtocol() == GroupProtocol.CONSUMER) {
            // The new protocol refuses these client settings (the consumer would not start): the broker decides.
            CLASSIC_ONLY.forEach(settings::remove);
        }
        return settings;
    }
}
