package io.txprocessor.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The assigned partitions, each in its current assignment, and the window they hold all together: offsets from
 * each partition's first unfinished record to its last arrived one, and bytes of the records held. The counts are
 * kept as records come and go, so that asking for room costs the same whatever the number of partitions. Not
 * thread-safe: owned by the {@link EngineCore}.
 */
final class Partitions<R extends TrackedRecord> {

    private final Map<TopicPartition, PartitionState<R>> assigned = new HashMap<>();
    private long lastEpoch;
    private long heldOffsets;
    private long heldBytes;

    /** A new assignment of a partition that is not assigned; returns its epoch. */
    long assign(TopicPartition partition, long startOffset, OffsetAndMetadata committed) {
        if (assigned.containsKey(partition)) {
            throw new IllegalStateException(partition + " assigned twice: release it first");
        }
        OffsetMetadata previous = committed == null
                ? OffsetMetadata.empty()
                : OffsetMetadata.decode(committed.metadata(), committed.offset());
        long epoch = ++lastEpoch;
        assigned.put(partition, new PartitionState<>(partition, epoch, new OffsetTracker(startOffset, previous),
                committed));
        return epoch;
    }

    PartitionState<R> get(TopicPartition partition) {
        return assigned.get(partition);
    }

    /** The state of the record's own assignment, or null when that assignment ended. */
    @SuppressWarnings("unchecked") // heldBy is only ever set to a PartitionState<R> of this instance, in hold()
    PartitionState<R> current(TrackedRecord record) {
        if (record.heldBy != null) {
            PartitionState<R> heldBy = (PartitionState<R>) record.heldBy;
            return heldBy.released ? null : heldBy;
        }
        PartitionState<R> partition = assigned.get(record.partition());
        return partition != null && partition.epoch == record.epoch() ? partition : null;
    }

    /** The epoch of the partition's current assignment, or 0 when it is not assigned. */
    long epochOf(TopicPartition partition) {
        PartitionState<R> state = assigned.get(partition);
        return state == null ? 0 : state.epoch;
    }

    /** The offset after the last record of the partition that arrived; -1 when it is not assigned. */
    long arrivedUpTo(TopicPartition partition) {
        PartitionState<R> state = assigned.get(partition);
        return state == null ? -1 : state.offsets.nextOffset();
    }

    /** True when a previous owner had started the record and not finished it, in its still current assignment. */
    boolean wasStartedBefore(TrackedRecord record) {
        PartitionState<R> partition = current(record);
        return partition != null && partition.offsets.wasStartedBefore(record.offset());
    }

    Set<TopicPartition> keys() {
        return Set.copyOf(assigned.keySet());
    }

    /** Records the arrival of an offset in the partition's tracker, keeping the window's count. */
    OffsetTracker.Seen arrive(PartitionState<R> partition, long offset) {
        long spanBefore = partition.offsets.span();
        OffsetTracker.Seen arrival = partition.offsets.arrive(offset);
        heldOffsets += partition.offsets.span() - spanBefore;
        return arrival;
    }

    /** The record is held from now on. */
    void hold(PartitionState<R> partition, R record) {
        partition.held.add(record);
        record.heldBy = partition;
        heldBytes += record.bytes();
    }

    /** The record finished: its offset may be committed, and it is held no more. */
    void finish(PartitionState<R> partition, R record) {
        long spanBefore = partition.offsets.span();
        partition.offsets.finished(record.offset());
        heldOffsets += partition.offsets.span() - spanBefore;
        partition.held.remove(record);
        heldBytes -= record.bytes();
    }

    void reachedPosition(TopicPartition partition, long position) {
        PartitionState<R> state = assigned.get(partition);
        if (state != null) {
            long spanBefore = state.offsets.span();
            state.offsets.reachedPosition(position);
            heldOffsets += state.offsets.span() - spanBefore;
        }
    }

    /** Forgets the partition's assignment and everything it held; returns it, or null when it was not assigned. */
    PartitionState<R> remove(TopicPartition partition) {
        PartitionState<R> state = assigned.remove(partition);
        if (state != null) {
            state.released = true;
            heldOffsets -= state.offsets.span();
            for (R record : state.held) {
                heldBytes -= record.bytes();
            }
        }
        return state;
    }

    Map<TopicPartition, OffsetAndMetadata> commitOffsets(Predicate<TopicPartition> scope, boolean onlyChanged) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        assigned.forEach((partition, state) -> {
            if (scope.test(partition)) {
                OffsetAndMetadata commit = state.offsets.commit();
                if (!onlyChanged || !commit.equals(state.lastCommitted)) {
                    offsets.put(partition, commit);
                }
            }
        });
        return offsets;
    }

    /** As {@link #commitOffsets}, counting the WRITTEN records as finished: what a producer transaction commits. */
    Map<TopicPartition, OffsetAndMetadata> transactionOffsets(Predicate<TopicPartition> scope, boolean onlyChanged) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        assigned.forEach((partition, state) -> {
            if (scope.test(partition)) {
                OffsetAndMetadata commit = state.offsets.commitCountingWritten();
                if (!onlyChanged || !commit.equals(state.lastCommitted)) {
                    offsets.put(partition, commit);
                }
            }
        });
        return offsets;
    }

    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((partition, commit) -> {
            PartitionState<R> state = assigned.get(partition);
            if (state != null) {
                state.lastCommitted = commit;
            }
        });
    }

    /** The records held in the scope whose phase passes the test. */
    List<R> held(Predicate<TopicPartition> scope, Predicate<Phase> phase) {
        List<R> found = new ArrayList<>();
        assigned.forEach((partition, state) -> {
            if (scope.test(partition)) {
                for (R record : state.held) {
                    if (phase.test(record.phase())) {
                        found.add(record);
                    }
                }
            }
        });
        return found;
    }

    long heldOffsets() {
        return heldOffsets;
    }

    long heldBytes() {
        return heldBytes;
    }
}
