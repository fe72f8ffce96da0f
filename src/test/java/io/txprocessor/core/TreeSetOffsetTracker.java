package io.txprocessor.core;

import java.util.NavigableSet;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * The reference model of {@link OffsetTracker}: its implementation before issue 20, over sorted sets, kept as the
 * plain statement of what the tracker must answer ({@link OffsetTrackerModelTest} compares the two). The offsets of
 * one assigned partition: which records arrived, which are
 * finished, and therefore what may be committed. The commit offset is the first
 * record that is not finished (or the next offset to arrive), never past one;
 * finished and started records beyond it travel in the commit's
 * {@link OffsetMetadata}.
 *
 * <p>
 * Not thread-safe: owned by the {@link EngineCore}, under its owner's lock.
 */
final class TreeSetOffsetTracker {

    /** Offsets that arrived and are not finished, in order. */
    private final NavigableSet<Long> unfinished = new TreeSet<>();
    /**
     * Offsets finished, here or by a previous owner, at or above the commit offset.
     */
    private final NavigableSet<Long> finished;
    /**
     * Offsets a previous owner started and did not finish: arriving again, they are
     * re-deliveries.
     */
    private final NavigableSet<Long> startedBefore;
    /** Offsets started here and not finished. */
    private final NavigableSet<Long> started = new TreeSet<>();
    /**
     * The next offset expected: everything below it arrived (or never will: gaps,
     * compaction, markers).
     */
    private long nextOffset;

    TreeSetOffsetTracker(long committedOffset, OffsetMetadata previous) {
        this.nextOffset = committedOffset;
        this.finished = new TreeSet<>(previous.finished().tailSet(committedOffset, true));
        this.startedBefore = new TreeSet<>(previous.started().tailSet(committedOffset, true));
    }

    public OffsetTracker.Seen arrive(long offset) {
        if (offset < nextOffset) {
            return OffsetTracker.Seen.DUPLICATE;
        }
        nextOffset = offset + 1;
        if (finished.contains(offset)) {
            return OffsetTracker.Seen.ALREADY_FINISHED;
        }
        unfinished.add(offset);
        return OffsetTracker.Seen.NEW;
    }

    /**
     * True when a previous owner had started this offset and not finished it (a
     * SIGKILL, a hand-off).
     */
    public boolean wasStartedBefore(long offset) {
        return startedBefore.contains(offset);
    }

    public void started(long offset) {
        started.add(offset);
    }

    public void finished(long offset) {
        if (unfinished.remove(offset)) {
            started.remove(offset);
            finished.add(offset);
            prune();
        }
    }

    /** The next offset expected: everything below it arrived, or never will. */
    public long nextOffset() {
        return nextOffset;
    }

    /**
     * Everything below {@code position} arrived or never will (transaction markers, aborted records, compacted
     * ones): a commit may pass the gap once the records before it are finished.
     */
    public void reachedPosition(long position) {
        if (position > nextOffset) {
            nextOffset = position;
            prune();
        }
    }

    /**
     * The first offset that is not finished: everything below it is, and may be
     * committed.
     */
    public long commitOffset() {
        // Finished offsets of a previous owner that have not arrived yet stay ahead of
        // it, in the metadata:
        // passing them here would drop them from the set that makes their arrival a
        // skip.
        return unfinished.isEmpty() ? nextOffset : unfinished.first();
    }

    public OffsetAndMetadata commit() {
        long offset = commitOffset();
        NavigableSet<Long> startedHere = new TreeSet<>(started);
        startedHere.addAll(startedBefore.tailSet(offset, true));
        return new OffsetAndMetadata(offset, new OffsetMetadata(finished, startedHere).encode(offset));
    }

    /**
     * What {@link #commit()} would be if {@code alsoFinished} were finished too: the offsets of a producer
     * transaction, which finishes the outcomes it holds as it commits (exactly once).
     */
    public OffsetAndMetadata commitWith(NavigableSet<Long> alsoFinished) {
        if (alsoFinished.isEmpty()) {
            return commit();
        }
        long offset = nextOffset;
        for (long candidate : unfinished) {
            if (!alsoFinished.contains(candidate)) {
                offset = candidate;
                break;
            }
        }
        NavigableSet<Long> finishedThen = new TreeSet<>(finished.tailSet(offset, true));
        finishedThen.addAll(alsoFinished.tailSet(offset, true));
        NavigableSet<Long> startedThen = new TreeSet<>(started);
        startedThen.removeAll(alsoFinished);
        startedThen.addAll(startedBefore.tailSet(offset, true));
        return new OffsetAndMetadata(offset, new OffsetMetadata(finishedThen, startedThen).encode(offset));
    }

    /** Offsets held, from the first unfinished to the last arrived: what the engine's window counts. */
    public int span() {
        return (int) (nextOffset - commitOffset());
    }

    public int unfinishedCount() {
        return unfinished.size();
    }

    private void prune() {
        long commitOffset = commitOffset();
        finished.headSet(commitOffset, false).clear();
        startedBefore.headSet(commitOffset, false).clear();
    }
}
