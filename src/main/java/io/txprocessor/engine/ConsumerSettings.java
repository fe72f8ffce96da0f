package io.txprocessor.engine;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import io.smallrye.common.annotation.Identifier;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Consumer settings that depend on optional configuration, which application.properties cannot express (an empty
 * {@code group.instance.id} is invalid). The channel picks them up through its {@code kafka-configuration}
 * attribute, on top of the {@code kafka.*} defaults.
 */
@ApplicationScoped
public class ConsumerSettings {

    /** The name the channel's {@code kafka-configuration} refers to. */
    public static final String NAME = "transactions-consumer";

    private final TransactionsConfig config;

    public ConsumerSettings(TransactionsConfig config) {
        this.config = config;
    }

    @Produces
    @Identifier(NAME)
    Map<String, Object> consumerSettings() {
        Map<String, Object> settings = new HashMap<>();
        config.groupInstanceId()
                .filter(id -> !id.isBlank())
                .ifPresent(id -> settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        return settings;
    }
}
