package io.txprocessor.engine;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.eclipse.microprofile.config.Config;

import io.smallrye.reactive.messaging.ClientCustomizer;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Consumer settings of the {@value TransactionConsumer#CHANNEL} channel that depend on our configuration or on our
 * objects, which application.properties cannot express: the isolation level, static membership (an empty
 * {@code group.instance.id} is invalid), and the interceptor that feeds {@link PollWatch}. The connector
 * applies them last, on top of the channel's and the {@code kafka.*} settings.
 */
@ApplicationScoped
public class ConsumerSettings implements ClientCustomizer<Map<String, Object>> {

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
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, config.isolationLevel().kafkaValue());
        settings.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, PollWatch.Interceptor.class.getName());
        settings.put(PollWatch.CONFIG_KEY, positions);
        config.groupInstanceId()
                .filter(id -> !id.isBlank())
                .ifPresent(id -> settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        return settings;
    }
}
