package io.txprocessor.engine;

import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Where the SmallRye Kafka connector hands over records, the records of one poll at a time (the channel's
 * {@code batch=true}): the connector's per-message pipeline runs once per poll instead of once per record, on its
 * single event-loop thread. It only passes them to the {@link ProcessingEngine}: returning the engine's admission
 * stage keeps the connector from delivering the next batch before there is room, so the connector's own queue
 * fills and it pauses fetching.
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
    public CompletionStage<Void> consume(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition partition : records.partitions()) {
            long bytes = 0;
            for (ConsumerRecord<byte[], byte[]> record : records.records(partition)) {
                bytes += RecordWork.sizeOf(record);
            }
            watch.arrived(partition, records.records(partition).size(), bytes);
        }
        return engine.submit(records);
    }
}
