package io.txprocessor.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;

/**
 * The {@link EngineCore}'s decisions when partitions go away: stop starting their records, give up on what runs
 * or waits for the broker, forget them. Not thread-safe: owned by the core.
 */
final class HandOffs<R extends TrackedRecord> {

    private final Partitions<R> partitions;
    private final Lanes<R> lanes;
    private final Predicate<R> mayStart;

    HandOffs(Partitions<R> partitions, Lanes<R> lanes, Predicate<R> mayStart) {
        this.partitions = partitions;
        this.lanes = lanes;
        this.mayStart = mayStart;
    }

    /** These partitions are being revoked: their queued records must not start. */
    void revoking(Collection<TopicPartition> revoked) {
        for (TopicPartition partition : revoked) {
            PartitionState<R> state = partitions.get(partition);
            if (state != null) {
                state.revoking = true;
            }
        }
    }

    /**
     * RUNNING → SUSPENDED for the records of the scope: the caller cancels their handlers and publishes SUSPENDED.
     * Their lanes stay taken until the handlers return.
     */
    List<R> suspendRunning(Predicate<TopicPartition> scope) {
        List<R> running = partitions.held(scope, Phase.RUNNING::equals);
        running.forEach(TrackedRecord::suspend);
        return running;
    }

    /**
     * PUBLISHING → ABANDONED for the records of the scope: whether the broker has their outcome is unknown, they
     * are not finished, and their next owner processes them again.
     */
    List<R> abandonUnconfirmed(Predicate<TopicPartition> scope) {
        List<R> publishing = partitions.held(scope, Phase.PUBLISHING::equals);
        publishing.forEach(TrackedRecord::abandon);
        return publishing;
    }

    /**
     * Forgets revoked or lost partitions: their queued records are dropped (the next owner fetches them), and
     * anything still in flight is handed off here and now. Returns that, and the records of other partitions
     * whose lane became free.
     */
    Released<R> release(Collection<TopicPartition> gone) {
        List<R> handedOff = new ArrayList<>();
        for (TopicPartition partition : gone) {
            PartitionState<R> state = partitions.remove(partition);
            if (state == null) {
                continue;
            }
            for (R record : state.held) {
                switch (record.phase()) {
                    case QUEUED -> record.drop();
                    case RUNNING -> {
                        record.suspend();
                        handedOff.add(record);
                    }
                    case PUBLISHING, WRITTEN -> {
                        record.abandon();
                        handedOff.add(record);
                    }
                    case CRASHED -> record.handOffCrashed(); // the next owner has it: its lane is free again
                    default -> {
                        // already handed off: nothing changes
                    }
                }
            }
        }
        List<R> toStart = new ArrayList<>();
        for (R next : lanes.nextOfAll()) {
            if (mayStart.test(next)) {
                toStart.add(next);
            }
        }
        return new Released<>(handedOff, toStart);
    }

    /**
     * Partitions lost (the group moved on without us: another member may own them already): their running
     * handlers are suspended, unacknowledged outcomes abandoned, queued records dropped, and nothing is committed.
     * The caller cancels and publishes SUSPENDED for {@link Released#handedOff()}'s RUNNING-turned-SUSPENDED
     * records.
     */
    Released<R> lost(Collection<TopicPartition> lost) {
        revoking(lost);
        List<R> handedOff = new ArrayList<>(suspendRunning(lost::contains));
        handedOff.addAll(abandonUnconfirmed(lost::contains));
        // Exactly once, the shell aborts the open transaction first; an outcome still in it is given up all the same.
        List<R> written = partitions.held(lost::contains, Phase.WRITTEN::equals);
        written.forEach(TrackedRecord::abandon);
        handedOff.addAll(written);
        Released<R> released = release(lost);
        handedOff.addAll(released.handedOff());
        return new Released<>(handedOff, released.toStart());
    }
}
