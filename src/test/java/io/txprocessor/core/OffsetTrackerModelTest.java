package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

/**
 * {@link OffsetTracker} (a ring of flagged offsets) against its reference model {@link TreeSetOffsetTracker} (sorted
 * sets, the implementation before issue 20): over seeded random sequences of arrivals with gaps, starts and
 * finishes in any order, positions past gaps, and a previous owner's finished and started offsets, every answer
 * the engine reads must be the same after every step, commits (with and without a transaction's written offsets)
 * included. A failure names its seed and step.
 */
class OffsetTrackerModelTest {

    private static final int SEEDS = 400;
    private static final int STEPS = 3_000;

    @Test
    void answersAsTheSortedSetModelOverRandomSequences() {
        for (long seed = 1; seed <= SEEDS; seed++) {
            run(seed);
        }
    }

    /**
     * At the widest span the commit metadata carries ({@link OffsetMetadata#MAX_SPAN}, more than the exactly-once
     * default window of 20,000): the ring grows to it, and with the first record still unfinished every other answer
     * and the commit (the largest metadata) are the model's.
     */
    @Test
    void answersAsTheModelAtTheWidestSpanTheMetadataCarries() {
        Random random = new Random(24_000);
        OffsetTracker tracker = new OffsetTracker(1_000, OffsetMetadata.empty());
        TreeSetOffsetTracker model = new TreeSetOffsetTracker(1_000, OffsetMetadata.empty());
        for (long offset = 1_000; offset < 1_000 + OffsetMetadata.MAX_SPAN; offset++) {
            assertThat(tracker.arrive(offset)).isEqualTo(model.arrive(offset));
            tracker.started(offset);
            model.started(offset);
        }
        for (long offset = 1_001; offset < 1_000 + OffsetMetadata.MAX_SPAN; offset++) {
            if (random.nextInt(10) > 0) {
                tracker.finished(offset);
                model.finished(offset);
            }
        }
        assertThat(tracker.span()).isEqualTo(model.span()).isEqualTo(OffsetMetadata.MAX_SPAN);
        assertThat(tracker.unfinishedCount()).isEqualTo(model.unfinishedCount());
        assertThat(tracker.commit()).isEqualTo(model.commit());
        tracker.finished(1_000);
        model.finished(1_000);
        assertThat(tracker.commitOffset()).isEqualTo(model.commitOffset());
        assertThat(tracker.commit()).isEqualTo(model.commit());
    }

    private static void run(long seed) {
        Random random = new Random(seed);
        long committed = random.nextInt(1_000);
        OffsetMetadata previous = previousOwner(random, committed);
        OffsetTracker tracker = new OffsetTracker(committed, previous);
        TreeSetOffsetTracker model = new TreeSetOffsetTracker(committed, copy(previous));
        List<Long> arrived = new ArrayList<>();
        // Exactly once: offsets whose outcome is in the open transaction (written, not yet committed or aborted).
        NavigableSet<Long> inTransaction = new TreeSet<>();
        long next = committed;
        for (int step = 0; step < STEPS; step++) {
            String at = "seed " + seed + " step " + step + ": ";
            int action = random.nextInt(100);
            if (action < 35) {
                // Mostly the next offset; sometimes after a gap (markers, compaction), sometimes again (a re-fetch).
                long offset = random.nextInt(10) == 0
                        ? next + 1 + random.nextInt(40)
                        : random.nextInt(20) == 0 ? Math.max(committed, next - 1 - random.nextInt(5)) : next;
                OffsetTracker.Seen seen = tracker.arrive(offset);
                assertThat(seen).as(at + "arrive " + offset).isEqualTo(model.arrive(offset));
                if (seen == OffsetTracker.Seen.NEW) {
                    arrived.add(offset);
                }
                next = Math.max(next, offset + 1);
            } else if (action < 60 && !arrived.isEmpty()) {
                long offset = arrived.get(random.nextInt(arrived.size()));
                assertThat(tracker.wasStartedBefore(offset)).as(at + "started before " + offset)
                        .isEqualTo(model.wasStartedBefore(offset));
                tracker.started(offset);
                model.started(offset);
            } else if (action < 90 && !arrived.isEmpty()) {
                // Finishing the oldest more often than the rest, as slow records are rarer than fast ones.
                int index = random.nextBoolean() ? 0 : random.nextInt(arrived.size());
                long offset = arrived.remove(index);
                tracker.finished(offset);
                model.finished(offset);
                inTransaction.remove(offset);
            } else if (action < 93) {
                long position = next + random.nextInt(5);
                tracker.reachedPosition(position);
                model.reachedPosition(position);
                next = Math.max(next, position);
            } else if (action < 95) {
                assertThat(tracker.commit()).as(at + "commit").isEqualTo(model.commit());
            } else if (action < 97 && !arrived.isEmpty()) {
                // A started record's outcome joins the transaction; now and then the transaction aborts.
                long offset = arrived.get(random.nextInt(arrived.size()));
                tracker.started(offset);
                model.started(offset);
                tracker.written(offset);
                inTransaction.add(offset);
                if (random.nextInt(10) == 0) {
                    inTransaction.forEach(tracker::writtenUndone);
                    inTransaction.clear();
                }
                assertThat(tracker.commitCountingWritten()).as(at + "transaction commit, written " + inTransaction)
                        .isEqualTo(model.commitWith(inTransaction));
            } else if (action < 97) {
                continue;
            } else {
                NavigableSet<Long> written = new TreeSet<>();
                for (long offset : arrived) {
                    if (random.nextInt(3) > 0) {
                        written.add(offset);
                    }
                }
                assertThat(tracker.commitWith(written)).as(at + "commit with " + written)
                        .isEqualTo(model.commitWith(written));
            }
            assertThat(tracker.commitOffset()).as(at + "commit offset").isEqualTo(model.commitOffset());
            assertThat(tracker.nextOffset()).as(at + "next offset").isEqualTo(model.nextOffset());
            assertThat(tracker.span()).as(at + "span").isEqualTo(model.span());
            assertThat(tracker.unfinishedCount()).as(at + "unfinished").isEqualTo(model.unfinishedCount());
        }
        OffsetAndMetadata last = tracker.commit();
        assertThat(last).as("seed " + seed + ": last commit").isEqualTo(model.commit());
    }

    /** Half the seeds start after a previous owner that finished and started some offsets past its commit. */
    private static OffsetMetadata previousOwner(Random random, long committed) {
        NavigableSet<Long> finished = new TreeSet<>();
        NavigableSet<Long> started = new TreeSet<>();
        if (random.nextBoolean()) {
            for (long offset = committed + 1; offset < committed + 300; offset++) {
                int pick = random.nextInt(10);
                if (pick < 3) {
                    finished.add(offset);
                } else if (pick < 4) {
                    started.add(offset);
                }
            }
        }
        return new OffsetMetadata(finished, started);
    }

    private static OffsetMetadata copy(OffsetMetadata metadata) {
        return new OffsetMetadata(new TreeSet<>(metadata.finished()), new TreeSet<>(metadata.started()));
    }
}
