package io.txprocessor.core;

/**
 * What the broker's acknowledgement of a record's outcome does: at least once, it finishes the record (its offset
 * may be committed, and held-back records may start); exactly once, it puts the outcome into the open transaction
 * ({@link TransactionBook}). Either way it touches nothing when a drain handed the record off meanwhile, or when the
 * record's assignment ended: the next owner decides, and such outcomes are counted as stale. Not thread-safe: owned
 * by the {@link EngineCore}.
 */
final class Outcomes<R extends TrackedRecord> {

    private final Partitions<R> partitions;
    private final StartGate<R> gate;
    private final TransactionBook<R> transactions;
    /** Outcomes acknowledged after their assignment had ended. */
    private long stale;

    Outcomes(Partitions<R> partitions, StartGate<R> gate, TransactionBook<R> transactions) {
        this.partitions = partitions;
        this.gate = gate;
        this.transactions = transactions;
    }

    /** {@link EngineCore#acknowledged}: PUBLISHING → FINISHED, unless handed off or stale. */
    boolean acknowledged(R record) {
        PartitionState<R> partition = partitions.current(record);
        if (partition == null) {
            // Its assignment ended (revoked, lost, perhaps assigned to us again since): the next owner decides.
            stale++;
            return false;
        }
        if (record.phase() != Phase.PUBLISHING) {
            return false; // a drain handed it off meanwhile: the SUSPENDED event stands, nothing is committed
        }
        record.acknowledged();
        partitions.finish(partition, record);
        gate.releaseHeldBack(partition);
        return true;
    }

    /** {@link EngineCore#written}: PUBLISHING → WRITTEN when sent in the open transaction, unless stale. */
    boolean written(R record, long sentIn) {
        if (partitions.current(record) == null) {
            stale++;
            return false;
        }
        return transactions.written(record, sentIn);
    }

    long stale() {
        return stale;
    }
}
