package io.txprocessor.core;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The records one assignment holds, in arrival order: a list threaded through the records themselves, so that
 * adding one as it arrives and removing it as it finishes cost two pointer writes, with no hashing (a
 * {@code LinkedHashSet} did the job before, and its hash lookups, some in tree-shaped bins, were among the largest
 * frames of the event loop and the workers in a zero-work profile). A record is in at most one such list: the one of
 * the assignment it arrived in. Not thread-safe: owned by the {@link EngineCore}.
 */
final class HeldRecords<R extends TrackedRecord> implements Iterable<R> {

    private TrackedRecord first;
    private TrackedRecord last;

    void add(R record) {
        if (record.heldIn != null) {
            throw new IllegalStateException(record + " is held already");
        }
        record.heldIn = this;
        record.heldBefore = last;
        record.heldAfter = null;
        if (last == null) {
            first = record;
        } else {
            last.heldAfter = record;
        }
        last = record;
    }

    /** Removes the record; false when this list does not hold it. */
    boolean remove(R record) {
        if (record.heldIn != this) {
            return false;
        }
        if (record.heldBefore == null) {
            first = record.heldAfter;
        } else {
            record.heldBefore.heldAfter = record.heldAfter;
        }
        if (record.heldAfter == null) {
            last = record.heldBefore;
        } else {
            record.heldAfter.heldBefore = record.heldBefore;
        }
        record.heldIn = null;
        record.heldBefore = null;
        record.heldAfter = null;
        return true;
    }

    /** In arrival order. The list must not change while it is iterated: callers collect first, then change. */
    @Override
    public Iterator<R> iterator() {
        return new Iterator<>() {
            private TrackedRecord next = first;

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            @SuppressWarnings("unchecked") // only records of type R are ever added
            public R next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                TrackedRecord current = next;
                next = current.heldAfter;
                return (R) current;
            }
        };
    }
}
