package io.txprocessor.core;

import java.util.NavigableMap;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One assignment of one partition: its epoch, its offsets, and the records of it the engine holds (arrived and
 * neither finished nor dropped). A later assignment of the same partition is another {@code PartitionState} with
 * a higher epoch. Not thread-safe: owned by the {@link EngineCore}.
 */
final class PartitionState<R extends TrackedRecord> {

    final TopicPartition partition;
    final long epoch;
    final OffsetTracker offsets;
    /** Arrived and not finished: queued, in flight, handed off (until released) or crashed. */
    final HeldRecords<R> held = new HeldRecords<>();
    /**
     * Queued records, by offset, that could start but for their distance from the first unfinished offset (the
     * core's span or more, at most {@link OffsetMetadata#MAX_SPAN}): they start as it moves up ({@link StartGate}).
     */
    final NavigableMap<Long, R> heldBack = new TreeMap<>();
    /** Released (revoked or lost): no longer the partition's current assignment. */
    boolean released;
    /** Being revoked: its queued records must not start. */
    boolean revoking;
    /** What the broker last accepted, so unchanged offsets are not committed again. */
    OffsetAndMetadata lastCommitted;

    PartitionState(TopicPartition partition, long epoch, OffsetTracker offsets, OffsetAndMetadata lastCommitted) {
        this.partition = partition;
        this.epoch = epoch;
        this.offsets = offsets;
        this.lastCommitted = lastCommitted;
    }
}
