package io.txprocessor.engine;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Where the SmallRye Kafka connector hands over records. It only passes them to
 * the {@link ProcessingEngine}: returning the engine's admission stage keeps
 * the connector from delivering the next record before there is room, so the
 * connector's own queue fills and it pauses fetching.
 */
@ApplicationScoped
public class TransactionConsumer {

    /**
     * The incoming channel; its connector settings are the
     * {@code mp.messaging.incoming.transactions.*} ones.
     */
    public static final String CHANNEL = "transactions";

    private final ProcessingEngine engine;
    private final PollWatch watch;

    public TransactionConsumer(ProcessingEngine engine, PollWatch watch) {
        this.engine = engine;
        this.watch = watch;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> consume(ConsumerRecord<byte[], byte[]> record) {
        watch.arrived(new TopicPartition(record.topic(), record.partition()),
                Math.max(0, record.serializedKeySize()) + Math.max(0, record.serializedValueSize()));
        return engine.submit(record);
    }
}
