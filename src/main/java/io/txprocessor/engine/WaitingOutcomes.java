package io.txprocessor.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.txprocessor.core.EngineCore;

/**
 * Exactly once: the outcomes that came while a commit was underway, for the transaction after it. A worker queues
 * its outcome here rather than idling through a commit; after the commit, thousands may wait, and they are tagged
 * with the next transaction under one hold of the engine's lock, not one each, since the workers want it too.
 *
 * <p>
 * Thread-safe.
 */
final class WaitingOutcomes {

    private final Queue<RecordWork> waiting = new ConcurrentLinkedQueue<>();

    void add(RecordWork work) {
        waiting.add(work);
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    /**
     * With the transaction open to sends: takes every waiting outcome and tags it with that transaction; returns
     * those still to publish (a drain may have handed some off meanwhile).
     */
    List<RecordWork> takeTagged(CoreLock lock) {
        List<RecordWork> taken = new ArrayList<>();
        for (RecordWork work = waiting.poll(); work != null; work = waiting.poll()) {
            taken.add(work);
        }
        if (taken.isEmpty()) {
            return taken;
        }
        return lock.call(core -> {
            List<RecordWork> tagged = new ArrayList<>(taken.size());
            for (RecordWork work : taken) {
                if (tagged(core, work)) {
                    tagged.add(work);
                }
            }
            return tagged;
        });
    }

    /**
     * With the lock held and the transaction open to sends: tags the outcome with that transaction, whose
     * acknowledgement then counts for no other; true if it is still to publish.
     */
    static boolean tagged(EngineCore<RecordWork> core, RecordWork work) {
        work.sentIn = core.producerTransaction();
        return core.publishing(work);
    }
}
