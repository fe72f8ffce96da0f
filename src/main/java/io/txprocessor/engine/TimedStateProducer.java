package io.txprocessor.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

import io.txprocessor.metrics.HandOffTimings;
import io.txprocessor.metrics.LatencyWindow;

/**
 * The state producer, timed: what a state event's acknowledgement costs (send to callback, a sample every few
 * milliseconds) and, exactly once, what a transaction's commit costs (its offsets sent and the commit, one round
 * trip each). The drain sizes its hand-off reserve from these ({@link HandOffTimings}); everything else is passed
 * through unchanged.
 *
 * <p>
 * Threads: sends come from any thread and their callbacks on the producer's I/O thread; the transaction calls come
 * from the one thread that holds the transaction (see {@link ProducerTransaction}), so {@link #commitStart} needs no
 * more than a volatile.
 */
final class TimedStateProducer implements Producer<byte[], byte[]> {

    private final Producer<byte[], byte[]> producer;
    private final LatencyWindow acknowledgements;
    private final LatencyWindow commits;
    /** Exactly once: when this transaction's offsets were sent (its commit's cost starts there); 0 if not yet. */
    private volatile long commitStart;

    TimedStateProducer(Producer<byte[], byte[]> producer, HandOffTimings timings) {
        this.producer = producer;
        this.acknowledgements = timings.acknowledgements();
        this.commits = timings.commits();
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
        long start = acknowledgements.start();
        if (start == 0) {
            return producer.send(record, callback);
        }
        // What send() itself spent blocked on the topic's metadata (hundreds of ms, once, at the service's start)
        // is not what a drain's sends wait, the metadata being known by then: the sample starts when send() returns.
        // Written after the callback may have run only when the broker answered before send() returned, that is
        // when it did not block.
        AtomicLong returned = new AtomicLong(start);
        try {
            Future<RecordMetadata> sent = producer.send(record, (metadata, error) -> {
                // A failure (a time-out, say) is timed too: it is what a hand-off would have waited.
                acknowledgements.end(start, returned.get() - start);
                if (callback != null) {
                    callback.onCompletion(metadata, error);
                }
            });
            returned.set(System.nanoTime());
            return sent;
        } catch (RuntimeException e) {
            acknowledgements.end(start, 0);
            throw e;
        }
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
        return send(record, null);
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        commitStart = commits.start();
        producer.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void commitTransaction() {
        long start = commitStart != 0 ? commitStart : commits.start();
        commitStart = 0;
        try {
            producer.commitTransaction();
        } finally {
            // A commit that timed out or failed is timed as well: a drain's final commit would have waited as long.
            commits.end(start);
        }
    }

    @Override
    public void abortTransaction() {
        // The offsets were refused (the group moved on) or a send failed: no commit to time.
        commits.cancel(commitStart);
        commitStart = 0;
        producer.abortTransaction();
    }

    @Override
    public void initTransactions() {
        producer.initTransactions();
    }

    @Override
    public void beginTransaction() {
        producer.beginTransaction();
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return producer.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return producer.metrics();
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        producer.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        producer.unregisterMetricFromSubscription(metric);
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return producer.clientInstanceId(timeout);
    }

    @Override
    public void close() {
        producer.close();
    }

    @Override
    public void close(Duration timeout) {
        producer.close(timeout);
    }
}
