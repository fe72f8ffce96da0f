package io.txprocessor.drain;

import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.Deadline;

/**
 * How a drain commits: straight on the consumer (inside a rebalance callback)
 * or via its polling thread.
 */
@FunctionalInterface
public interface OffsetCommit {

    /**
     * Commits synchronously, giving up when the deadline passes; throws when the
     * broker did not confirm.
     */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets, Deadline deadline) throws Exception;
}
