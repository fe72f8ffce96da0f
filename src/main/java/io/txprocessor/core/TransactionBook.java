package io.txprocessor.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Exactly once: the book of the producer's open transaction. It owns the transaction's number, which an outcome is
 * tagged with when it is sent; it moves acknowledged outcomes of that transaction into it (PUBLISHING → WRITTEN);
 * it says which offsets the transaction commits and whether it must abort instead; and when the transaction ends
 * it finishes its WRITTEN records (committed) or puts them back to PUBLISHING (aborted), and the next transaction
 * begins. The contracts are on the {@link EngineCore} methods that delegate here. Not thread-safe: owned by the
 * {@link EngineCore}.
 */
final class TransactionBook<R extends TrackedRecord> {

    private final Partitions<R> partitions;
    /** Called for each partition whose first unfinished record may have moved up as a transaction committed. */
    private final Consumer<PartitionState<R>> finishedIn;
    /** The number of the producer's open transaction; each commit or abort begins the next. */
    private long transaction = 1;
    /**
     * The records made WRITTEN in the open transaction, in the order their outcomes were booked. A commit or an abort
     * visits these, not every held record (20,000 by default): what of them left the current assignment since (a
     * hand-off, a loss) or is WRITTEN no more is passed over, as a walk of the held records would not find it.
     */
    private List<R> writtenInOpen = new ArrayList<>();
    /** The assignments those records are held by: few, so that {@link #writtenOutside} tests each once. */
    private final Set<PartitionState<R>> assignmentsWritten = Collections.newSetFromMap(new IdentityHashMap<>());

    TransactionBook(Partitions<R> partitions, Consumer<PartitionState<R>> finishedIn) {
        this.partitions = partitions;
        this.finishedIn = finishedIn;
    }

    /**
     * {@link EngineCore#producerTransaction()}: an outcome is tagged with it when it is sent, and its acknowledgement counts
     * only for that transaction ({@link #written}).
     */
    long transaction() {
        return transaction;
    }

    /**
     * {@link EngineCore#written}, for a record whose assignment is current: true when its outcome, sent in
     * {@code sentIn}, is now in the open transaction. An outcome sent in a transaction that has ended since was
     * aborted with it, since a commit waits for every send of its transaction: the record is still PUBLISHING. So
     * booking never depends on the order in which the producer reports acknowledgements and aborts.
     */
    boolean written(R record, long sentIn) {
        if (record.phase() != Phase.PUBLISHING || sentIn != transaction) {
            return false;
        }
        record.written();
        PartitionState<R> partition = partitions.current(record);
        partition.offsets.written(record.offset());
        writtenInOpen.add(record);
        assignmentsWritten.add(partition);
        return true;
    }

    /**
     * {@link EngineCore#transactionOffsets}: WRITTEN records count as finished, since the transaction makes their
     * outcomes and these offsets visible together or not at all. With {@code hasSends}, unchanged partitions are in
     * it too: the broker checks the group's generation (fencing a zombie) only through the offsets of a
     * transaction, so a transaction with sends and no offsets would commit unchecked.
     */
    Map<TopicPartition, OffsetAndMetadata> offsets(Predicate<TopicPartition> scope, boolean onlyChanged,
            boolean hasSends) {
        return partitions.transactionOffsets(scope, onlyChanged && !hasSends);
    }

    /**
     * {@link EngineCore#writtenOutside}: such an outcome is of a partition assigned after the group metadata that
     * fences the transaction was read. Its offsets cannot be in the transaction, so it must abort: committed, that
     * outcome would be visible with its input offset uncommitted.
     */
    boolean writtenOutside(Predicate<TopicPartition> scope) {
        for (PartitionState<R> assignment : assignmentsWritten) {
            if (!assignment.released && !scope.test(assignment.partition) && writtenIn(assignment)) {
                return true;
            }
        }
        return false;
    }

    /** True when a record of the assignment is WRITTEN in the open transaction still (not handed off since). */
    private boolean writtenIn(PartitionState<R> assignment) {
        for (R record : writtenInOpen) {
            if (record.phase() == Phase.WRITTEN && partitions.current(record) == assignment) {
                return true;
            }
        }
        return false;
    }

    /** {@link EngineCore#transactionCommitted()}: WRITTEN → FINISHED; the next transaction begins. */
    List<R> committed() {
        List<R> written = endTransaction();
        Set<PartitionState<R>> moved = new HashSet<>();
        for (R record : written) {
            PartitionState<R> partition = partitions.current(record);
            record.transactionCommitted();
            partitions.finish(partition, record);
            moved.add(partition);
        }
        moved.forEach(finishedIn);
        return written;
    }

    /**
     * {@link EngineCore#transactionAborted()}: nothing of it is visible, so WRITTEN → PUBLISHING, each outcome to be
     * written into the next transaction or handed off; the next transaction begins.
     */
    List<R> aborted() {
        List<R> written = endTransaction();
        for (R record : written) {
            record.transactionAborted();
            partitions.current(record).offsets.writtenUndone(record.offset());
        }
        return written;
    }

    /** The next transaction begins; returns the records still WRITTEN in their current assignment. */
    private List<R> endTransaction() {
        transaction++;
        List<R> booked = writtenInOpen;
        writtenInOpen = new ArrayList<>();
        assignmentsWritten.clear();
        booked.removeIf(record -> record.phase() != Phase.WRITTEN || partitions.current(record) == null);
        return booked;
    }
}
