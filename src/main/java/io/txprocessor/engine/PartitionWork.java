package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.EngineCore;
import io.txprocessor.core.Phase;
import io.txprocessor.core.Released;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StateEvent.State;

/**
 * The engine as assignments and drains see it: partitions coming and going, the records in flight, and the
 * offsets to commit. Called on the consumer's polling thread (assignment, commits, revocation drains) and on the
 * shutdown thread (the shutdown drain); every call takes the {@link CoreLock} and returns without waiting, except
 * {@link #awaitInFlight}.
 */
@ApplicationScoped
public class PartitionWork {

    private static final EngineLog LOG = EngineLog.of(PartitionWork.class);

    private final CoreLock lock;
    private final ProcessorMetrics metrics;
    private final String instance;

    public PartitionWork(CoreLock lock, ProcessorMetrics metrics, InstanceName instance) {
        this.lock = lock;
        this.metrics = metrics;
        this.instance = instance.value();
    }

    /** A partition was assigned, starting at {@code committed} (null: nothing committed, start at {@code position}). */
    public void assigned(TopicPartition partition, OffsetAndMetadata committed, long position) {
        if (lock.call(core -> core.isAssigned(partition))) {
            LOG.assignedAgainWithoutRevocation(partition);
            release(Set.of(partition));
        }
        long start = committed == null ? position : committed.offset();
        long epoch = lock.call(core -> core.assigned(partition, start, committed));
        LOG.debugf("assigned %s at %d (assignment %d)", partition, start, epoch);
    }

    public Set<TopicPartition> assignedPartitions() {
        return lock.call(EngineCore::assignedPartitions);
    }

    /** False once a shutdown drain began. */
    public boolean accepting() {
        return lock.call(EngineCore::accepting);
    }

    /**
     * Shutdown: from now on nothing is admitted or started; queued records stay unstarted and uncommitted, and the
     * connector is never woken again. Returns the records in flight at this moment.
     */
    public int stopForShutdown() {
        lock.lock();
        try {
            lock.neverWake();
            return lock.core().stopStarting();
        } finally {
            lock.unlock();
        }
    }

    /** Revocation: the queued records of these partitions must not start. Returns their records in flight. */
    public int stopStartingRevoked(Collection<TopicPartition> revoked) {
        return lock.call(core -> core.revoking(revoked));
    }

    /** The number of records in flight (handler running or outcome being published) in the scope. */
    public int inFlight(Predicate<TopicPartition> scope) {
        return lock.call(core -> core.inFlight(scope));
    }

    /**
     * Waits until no record of the scope is in flight, or {@code deadlineNanos} ({@link System#nanoTime()}) passes.
     * Returns true if none is left in flight.
     */
    public boolean awaitInFlight(Predicate<TopicPartition> scope, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (lock.core().inFlight(scope) > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.awaitProgress(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives up on the records of the scope whose handler still runs: cancels them (flag and interrupt) and returns
     * their SUSPENDED events, for the caller to publish. They stay unfinished, so no commit passes them. Records
     * whose handler has returned are left to finish: their outcome is on its way to the broker.
     */
    public List<StateEvent> suspendRunning(Predicate<TopicPartition> scope, String reason) {
        lock.lock();
        try {
            return handOff(lock.core().suspendRunning(scope), reason);
        } finally {
            lock.unlock();
        }
    }

    /** With the lock held: cancels handed-off records and returns the SUSPENDED events of those that ran. */
    private List<StateEvent> handOff(List<RecordWork> records, String reason) {
        List<StateEvent> suspended = new ArrayList<>();
        for (RecordWork work : records) {
            metrics.stopped();
            if (work.phase() == Phase.SUSPENDED) {
                work.cancel();
                if (work.transaction != null) { // a value that is not a transaction has no state to report
                    suspended.add(work.event(State.SUSPENDED, reason, instance));
                }
            }
        }
        lock.signalProgress();
        return suspended;
    }

    /**
     * Gives up on the records of the scope whose outcome the broker has not acknowledged: they are not finished,
     * so no commit passes them, and their next owner processes them again. Returns those outcomes, for the caller
     * to log: whether the broker got them is unknown.
     */
    public List<String> abandonUnconfirmed(Predicate<TopicPartition> scope) {
        lock.lock();
        try {
            List<RecordWork> abandoned = lock.core().abandonUnconfirmed(scope);
            handOff(abandoned, null);
            return abandoned.stream().map(work -> work.outcome != null
                    ? work.outcome.toString()
                    : "dead letter of " + work + " (" + work.deadLetterReason + ")").toList();
        } finally {
            lock.unlock();
        }
    }

    /** Records of the scope whose handler threw a JVM {@code Error}: left for the next owner. */
    public int crashed(Predicate<TopicPartition> scope) {
        return lock.call(core -> core.held(scope, Phase.CRASHED).size());
    }

    /** The offsets to commit for the assigned partitions in scope: up to the first unfinished record. */
    public Map<TopicPartition, OffsetAndMetadata> commitOffsets(Predicate<TopicPartition> scope,
            boolean onlyChanged) {
        return lock.call(core -> core.commitOffsets(scope, onlyChanged));
    }

    /** Remembers what the broker accepted, so unchanged partitions are not committed again. */
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        lock.call(core -> {
            core.committed(offsets);
            return null;
        });
    }

    /** The offset after the last record of the partition that reached the engine; -1 when not assigned. */
    public long arrivedUpTo(TopicPartition partition) {
        return lock.call(core -> core.arrivedUpTo(partition));
    }

    /** Everything of the partition below {@code position} reached the engine, or never will (markers). */
    public void reachedPosition(TopicPartition partition, long position) {
        lock.call(core -> {
            core.reachedPosition(partition, position);
            return null;
        });
    }

    /** Forgets revoked partitions; their queued records are dropped, to be fetched by the next owner. */
    public void release(Collection<TopicPartition> gone) {
        carryOut(core -> core.release(gone), "released");
    }

    /**
     * Partitions lost: another member may own them already. Running handlers are cancelled, unacknowledged
     * outcomes abandoned, queued records dropped, nothing is committed. Returns the SUSPENDED events of what was
     * handed off, for the log: nothing is published for a lost partition (its new owner's outcome is the last word).
     * The delivery calls it ({@link Delivery#lost}), exactly once with the open transaction closed.
     */
    List<StateEvent> handOffLost(Collection<TopicPartition> lost, String reason) {
        return carryOut(core -> core.lost(lost), reason);
    }

    private List<StateEvent> carryOut(Function<EngineCore<RecordWork>, Released<RecordWork>> release,
            String reason) {
        Released<RecordWork> released;
        List<StateEvent> suspended;
        CompletableFuture<Void> wake;
        lock.lock();
        try {
            released = release.apply(lock.core());
            suspended = handOff(released.handedOff(), reason);
            wake = lock.wakeIfRoom();
        } finally {
            lock.unlock();
        }
        lock.dispatch(released.toStart());
        if (wake != null) {
            wake.complete(null);
        }
        return suspended;
    }
}
