package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

import io.txprocessor.core.OffsetTracker.Seen;

class OffsetTrackerTest {

    @Test
    void commitsUpToTheFirstUnfinishedRecordAndCarriesTheFinishedBeyondIt() {
        OffsetTracker tracker = new OffsetTracker(10, OffsetMetadata.empty());
        for (long offset = 10; offset < 15; offset++) {
            assertThat(tracker.arrive(offset)).isEqualTo(Seen.NEW);
        }
        tracker.finished(10);
        tracker.finished(12);
        tracker.finished(14);

        OffsetAndMetadata commit = tracker.commit();

        assertThat(commit.offset()).isEqualTo(11);
        assertThat(OffsetMetadata.decode(commit.metadata(), commit.offset()).finished()).containsExactly(12L, 14L);
    }

    @Test
    void commitsPastEverythingWhenAllArrivedRecordsAreFinished() {
        OffsetTracker tracker = new OffsetTracker(0, OffsetMetadata.empty());
        tracker.arrive(0);
        tracker.arrive(2); // offset 1 is a gap (a transaction marker, a compacted record)
        tracker.finished(2);
        tracker.finished(0);

        assertThat(tracker.commit().offset()).isEqualTo(3);
        assertThat(OffsetMetadata.decode(tracker.commit().metadata(), 3).finished()).isEmpty();
    }

    @Test
    void nothingIsCommittedPastARecordThatArrivedButNeverStarted() {
        OffsetTracker tracker = new OffsetTracker(5, OffsetMetadata.empty());
        tracker.arrive(5);
        tracker.arrive(6);
        tracker.finished(6);

        assertThat(tracker.commit().offset()).isEqualTo(5);
    }

    @Test
    void recordsFinishedByThePreviousOwnerAreSkippedAndStillCarriedUntilTheyArrive() {
        OffsetMetadata previous = new OffsetMetadata(new TreeSet<>(List.of(21L, 23L)), new TreeSet<>(List.of(22L)));
        OffsetTracker tracker = new OffsetTracker(20, previous);

        assertThat(tracker.arrive(20)).isEqualTo(Seen.NEW);
        tracker.finished(20);
        // 21 and 23 have not arrived yet: the commit must keep telling the next owner to skip them.
        OffsetAndMetadata commit = tracker.commit();
        assertThat(commit.offset()).isEqualTo(21);
        assertThat(OffsetMetadata.decode(commit.metadata(), 21).finished()).containsExactly(21L, 23L);

        assertThat(tracker.arrive(21)).isEqualTo(Seen.ALREADY_FINISHED);
        assertThat(tracker.arrive(22)).isEqualTo(Seen.NEW);
        assertThat(tracker.wasStartedBefore(22)).isTrue();
        assertThat(tracker.arrive(23)).isEqualTo(Seen.ALREADY_FINISHED);
        assertThat(tracker.commit().offset()).isEqualTo(22);
    }

    @Test
    void offsetsBelowTheCommittedOneOrSeenBeforeAreDuplicates() {
        OffsetTracker tracker = new OffsetTracker(100, OffsetMetadata.empty());
        assertThat(tracker.arrive(99)).isEqualTo(Seen.DUPLICATE);
        assertThat(tracker.arrive(100)).isEqualTo(Seen.NEW);
        assertThat(tracker.arrive(100)).isEqualTo(Seen.DUPLICATE);
        assertThat(tracker.unfinishedCount()).isOne();
    }

    @Test
    void startedButUnfinishedRecordsTravelInTheCommitSoTheNextOwnerCountsThemAsRedeliveries() {
        OffsetTracker tracker = new OffsetTracker(0, OffsetMetadata.empty());
        tracker.arrive(0);
        tracker.arrive(1);
        tracker.started(0);
        tracker.started(1);
        tracker.finished(1);

        OffsetAndMetadata commit = tracker.commit();

        assertThat(commit.offset()).isZero();
        OffsetMetadata carried = OffsetMetadata.decode(commit.metadata(), 0);
        assertThat(carried.started()).containsExactly(0L);
        assertThat(carried.finished()).containsExactly(1L);
    }
}
