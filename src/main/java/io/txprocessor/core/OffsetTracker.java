package io.txprocessor.core;

import java.util.Arrays;
import java.util.NavigableSet;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * The offsets of one assigned partition: which records arrived, which are finished, and therefore what may be
 * committed. The commit offset is the first record that is not finished (or the next offset to arrive), never past
 * one; finished and started records beyond it travel in the commit's {@link OffsetMetadata}.
 *
 * <p>
 * Kept for the cost of the per-record calls ({@link #arrive}, {@link #started}, {@link #finished}, {@link #span}):
 * arrivals come in offset order, so the records from the first unfinished one on are a ring of ascending offsets
 * with a flag byte each; a record is found at its distance from the ring's head (a binary search only past gaps),
 * and the head moves up past finished records as they finish. No boxing, no tree, nothing allocated per record.
 * What a previous owner finished or started, from the committed metadata, is two sorted arrays. Only a commit
 * ({@link #commit}, {@link #commitWith}) builds sets, for the metadata.
 *
 * <p>
 * Not thread-safe: owned by the {@link EngineCore}, under its owner's lock.
 */
public final class OffsetTracker {

    /** What became of an arriving offset. */
    public enum Seen {
        /** A record to process. */
        NEW,
        /** Finished by a previous owner (carried in the committed metadata): skip it. */
        ALREADY_FINISHED,
        /** Seen already in this assignment, or below the committed offset: ignore it. */
        DUPLICATE
    }

    private static final byte STARTED = 1;
    private static final byte FINISHED = 2;
    /** Exactly once: started, its outcome in the open producer transaction, which finishes it as it commits. */
    private static final byte WRITTEN = 3;

    /**
     * The records that arrived new, from the first unfinished one on, by ascending offset: a ring of
     * {@code size} entries from {@code head}, its capacity a power of two. The head entry is never finished.
     */
    private long[] offsets = new long[64];
    private byte[] flags = new byte[64];
    private int head;
    private int size;
    private int unfinished;
    /** Offsets a previous owner finished, at or above the committed offset, ascending: arriving, they are skipped. */
    private final long[] finishedBefore;
    /** The first of {@link #finishedBefore} not below {@link #nextOffset}: arrivals only move it up. */
    private int finishedBeforeCursor;
    /** Offsets a previous owner started and did not finish, ascending: arriving again, they are re-deliveries. */
    private final long[] startedBefore;
    /** The next offset expected: everything below it arrived (or never will: gaps, compaction, markers). */
    private long nextOffset;

    public OffsetTracker(long committedOffset, OffsetMetadata previous) {
        this.nextOffset = committedOffset;
        this.finishedBefore = ascending(previous.finished().tailSet(committedOffset, true));
        this.startedBefore = ascending(previous.started().tailSet(committedOffset, true));
    }

    public Seen arrive(long offset) {
        if (offset < nextOffset) {
            return Seen.DUPLICATE;
        }
        nextOffset = offset + 1;
        while (finishedBeforeCursor < finishedBefore.length && finishedBefore[finishedBeforeCursor] < offset) {
            finishedBeforeCursor++;
        }
        if (finishedBeforeCursor < finishedBefore.length && finishedBefore[finishedBeforeCursor] == offset) {
            return Seen.ALREADY_FINISHED;
        }
        if (size == offsets.length) {
            grow();
        }
        int at = (head + size) & (offsets.length - 1);
        offsets[at] = offset;
        flags[at] = 0;
        size++;
        unfinished++;
        return Seen.NEW;
    }

    /** True when a previous owner had started this offset and not finished it (a SIGKILL, a hand-off). */
    public boolean wasStartedBefore(long offset) {
        return Arrays.binarySearch(startedBefore, offset) >= 0;
    }

    public void started(long offset) {
        int at = indexOf(offset);
        if (at >= 0 && flags[at] == 0) {
            flags[at] = STARTED;
        }
    }

    /** Exactly once: the outcome is in the open transaction ({@link #commitCountingWritten} counts it finished). */
    public void written(long offset) {
        int at = indexOf(offset);
        if (at >= 0 && flags[at] != FINISHED) {
            flags[at] = WRITTEN;
        }
    }

    /** Exactly once: the transaction holding the outcome aborted; the record is started and unfinished again. */
    public void writtenUndone(long offset) {
        int at = indexOf(offset);
        if (at >= 0 && flags[at] == WRITTEN) {
            flags[at] = STARTED;
        }
    }

    public void finished(long offset) {
        int at = indexOf(offset);
        if (at < 0 || flags[at] == FINISHED) {
            return;
        }
        flags[at] = FINISHED;
        unfinished--;
        int mask = offsets.length - 1;
        while (size > 0 && flags[head] == FINISHED) {
            head = (head + 1) & mask;
            size--;
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
        }
    }

    /** The first offset that is not finished: everything below it is, and may be committed. */
    public long commitOffset() {
        // Finished offsets of a previous owner that have not arrived yet stay ahead of it, in the metadata: passing
        // them here would drop them from the set that makes their arrival a skip.
        return size > 0 ? offsets[head] : nextOffset;
    }

    public OffsetAndMetadata commit() {
        return commitAs(new TreeSet<>(), false);
    }

    /**
     * What the open producer transaction commits (exactly once): {@link #commit()} with the {@link #written} records
     * counted as finished, since the transaction makes their outcomes and these offsets visible together.
     */
    public OffsetAndMetadata commitCountingWritten() {
        return commitAs(new TreeSet<>(), true);
    }

    /**
     * What {@link #commit()} would be if {@code alsoFinished} were finished too: the offsets of a producer
     * transaction, which finishes the outcomes it holds as it commits (exactly once).
     */
    public OffsetAndMetadata commitWith(NavigableSet<Long> alsoFinished) {
        return commitAs(alsoFinished, false);
    }

    private OffsetAndMetadata commitAs(NavigableSet<Long> alsoFinished, boolean writtenFinished) {
        byte done = writtenFinished ? WRITTEN : FINISHED;
        long offset = nextOffset;
        int mask = offsets.length - 1;
        for (int i = 0; i < size; i++) {
            int at = (head + i) & mask;
            if (flags[at] != FINISHED && flags[at] != done && !alsoFinished.contains(offsets[at])) {
                offset = offsets[at];
                break;
            }
        }
        NavigableSet<Long> finishedThen = new TreeSet<>(alsoFinished.tailSet(offset, true));
        NavigableSet<Long> startedThen = new TreeSet<>();
        for (int i = 0; i < size; i++) {
            int at = (head + i) & mask;
            if ((flags[at] == FINISHED || flags[at] == done) && offsets[at] >= offset) {
                finishedThen.add(offsets[at]);
            } else if ((flags[at] == STARTED || flags[at] == WRITTEN && !writtenFinished)
                    && !alsoFinished.contains(offsets[at])) {
                startedThen.add(offsets[at]);
            }
        }
        addFrom(finishedBefore, offset, finishedThen);
        addFrom(startedBefore, offset, startedThen);
        return new OffsetAndMetadata(offset, new OffsetMetadata(finishedThen, startedThen).encode(offset));
    }

    /** Offsets held, from the first unfinished to the last arrived: what the engine's window counts. */
    public int span() {
        return (int) (nextOffset - commitOffset());
    }

    public int unfinishedCount() {
        return unfinished;
    }

    /** The ring index of the entry for {@code offset}, or -1 when it is not held. */
    private int indexOf(long offset) {
        if (size == 0 || offset < offsets[head]) {
            return -1;
        }
        int mask = offsets.length - 1;
        long distance = offset - offsets[head];
        // Without gaps an offset is its distance from the head; with gaps it is closer, never further.
        if (distance < size && offsets[(int) ((head + distance) & mask)] == offset) {
            return (int) ((head + distance) & mask);
        }
        int low = 0;
        int high = (int) Math.min(size - 1, distance);
        while (low <= high) {
            int middle = (low + high) >>> 1;
            long found = offsets[(head + middle) & mask];
            if (found < offset) {
                low = middle + 1;
            } else if (found > offset) {
                high = middle - 1;
            } else {
                return (head + middle) & mask;
            }
        }
        return -1;
    }

    private void grow() {
        long[] wider = new long[offsets.length * 2];
        byte[] widerFlags = new byte[flags.length * 2];
        int mask = offsets.length - 1;
        for (int i = 0; i < size; i++) {
            wider[i] = offsets[(head + i) & mask];
            widerFlags[i] = flags[(head + i) & mask];
        }
        offsets = wider;
        flags = widerFlags;
        head = 0;
    }

    private static long[] ascending(NavigableSet<Long> offsets) {
        return offsets.stream().mapToLong(Long::longValue).toArray();
    }

    private static void addFrom(long[] ascending, long from, NavigableSet<Long> to) {
        int at = Arrays.binarySearch(ascending, from);
        for (int i = at >= 0 ? at : -at - 1; i < ascending.length; i++) {
            to.add(ascending[i]);
        }
    }
}
