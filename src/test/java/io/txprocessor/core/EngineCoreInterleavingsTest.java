package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The interleavings that bit other libraries, each spelled out step by step against the core: late
 * acknowledgements, completions after a loss and a re-assignment, a cancel racing a finish, a publish failure
 * during a drain, a drain deadline with queued records, a crashed handler, transaction markers at the end.
 */
class EngineCoreInterleavingsTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    private final EngineCore<TrackedRecord> core = new EngineCore<>(1_000, Long.MAX_VALUE);

    private TrackedRecord arrive(TopicPartition partition, long offset, String lane) {
        TrackedRecord record = new TrackedRecord(partition, offset, lane, 10);
        assertThat(core.arrive(record)).isEqualTo(Arrival.NEW);
        return record;
    }

    /** Arrives, starts and returns from its handler: its outcome is on its way. */
    private TrackedRecord publishing(TopicPartition partition, long offset, String lane) {
        TrackedRecord record = arrive(partition, offset, lane);
        assertThat(core.start(record)).isTrue();
        core.handlerReturned(record, false);
        assertThat(record.phase()).isEqualTo(Phase.PUBLISHING);
        return record;
    }

    private long commitOffset(TopicPartition partition) {
        return core.commitOffsets(partition::equals, false).get(partition).offset();
    }

    @Test
    void anOutcomeWrittenForAPartitionOutsideTheTransactionsScopeAbortsItUntilThatPartitionIsLost() {
        core.assigned(P0, 0, null);
        core.assigned(P1, 0, null);
        TrackedRecord inScope = publishing(P0, 0, "a");
        TrackedRecord outside = publishing(P1, 0, "b");
        long open = core.producerTransaction();

        assertThat(core.written(inScope, open)).isTrue();
        boolean withOnlyTheScopesOutcome = core.writtenOutside(P0::equals);
        assertThat(core.written(outside, open)).isTrue();
        boolean withP1sOutcomeToo = core.writtenOutside(P0::equals);
        boolean withBothInScope = core.writtenOutside(Set.of(P0, P1)::contains);
        core.lost(Set.of(P1)); // its outcome is given up with it, though still in the open transaction
        boolean afterTheLoss = core.writtenOutside(P0::equals);

        assertThat(withOnlyTheScopesOutcome).as("only P0's outcome is written").isFalse();
        assertThat(withP1sOutcomeToo).as("P1's outcome is written, and P1 is outside the scope").isTrue();
        assertThat(withBothInScope).isFalse();
        assertThat(afterTheLoss).as("P1 lost: its outcome no longer counts").isFalse();
        assertThat(core.transactionCommitted()).as("the commit finishes what is still written")
                .containsExactly(inScope);
        assertThat(outside.phase()).isEqualTo(Phase.ABANDONED);
    }

    @Test
    void anAcknowledgementAfterTheRevocationFinishesNothing() {
        core.assigned(P0, 0, null);
        TrackedRecord record = publishing(P0, 0, "a");

        core.revoking(Set.of(P0));
        assertThat(core.abandonUnconfirmed(P0::equals)).containsExactly(record);
        OffsetAndMetadata handedOver = core.commitOffsets(P0::equals, false).get(P0);
        core.release(Set.of(P0));
        boolean finished = core.acknowledged(record); // the broker's ack arrives after the hand-off

        assertThat(finished).isFalse();
        assertThat(handedOver.offset()).as("the commit stops at the abandoned record").isZero();
        assertThat(record.phase()).isEqualTo(Phase.ABANDONED);
        assertThat(core.staleOutcomes()).isEqualTo(1);
    }

    @Test
    void aCompletionAfterThePartitionWasLostAndReassignedNeverTouchesTheNewAssignment() {
        long first = core.assigned(P0, 0, null);
        TrackedRecord running = arrive(P0, 0, "a");
        core.start(running);
        TrackedRecord publishing = publishing(P0, 1, "b");

        Released<TrackedRecord> lost = core.lost(Set.of(P0));
        long second = core.assigned(P0, 0, null); // the group gives it back to us, from the same commit
        TrackedRecord again = arrive(P0, 0, "a");
        TrackedRecord againToo = arrive(P0, 1, "b");
        boolean mayStartBeforeTheOldHandlerReturned = core.mayStart(again);
        // The old handler returns and the old outcome is acknowledged, both after the re-assignment.
        TrackedRecord next = core.handlerReturned(running, false);
        boolean finished = core.acknowledged(publishing);

        assertThat(lost.handedOff()).containsExactlyInAnyOrder(running, publishing);
        assertThat(second).isGreaterThan(first);
        assertThat(finished).isFalse();
        assertThat(mayStartBeforeTheOldHandlerReturned).as("one handler per lane, across assignments too").isFalse();
        assertThat(next).as("the lane passes to the new assignment's record once the old handler returned")
                .isSameAs(again);
        assertThat(running.phase()).isEqualTo(Phase.SUSPENDED);
        assertThat(core.staleOutcomes()).isEqualTo(1);
        assertThat(commitOffset(P0)).as("nothing of the old assignment finished anything").isZero();
        assertThat(core.start(again)).isTrue();
        assertThat(core.start(againToo)).isTrue();
    }

    @Test
    void aCancelRacingAFinishKeepsTheHandOff() {
        core.assigned(P0, 0, null);
        TrackedRecord record = arrive(P0, 0, "a");
        TrackedRecord queued = arrive(P0, 1, "a");
        core.start(record);
        core.stopStarting();

        assertThat(core.suspendRunning(p -> true)).containsExactly(record); // the drain cancels...
        TrackedRecord next = core.handlerReturned(record, false); // ...as the handler returns normally

        assertThat(record.phase()).as("its result is not reported: SUSPENDED stands").isEqualTo(Phase.SUSPENDED);
        assertThat(next).as("nothing starts during a shutdown").isNull();
        assertThat(queued.phase()).isEqualTo(Phase.QUEUED);
        assertThat(commitOffset(P0)).isZero();
        assertThat(core.runningInLane("a")).isZero();
    }

    @Test
    void aPublishFailureDuringADrainLeavesTheRecordForTheNextOwner() {
        core.assigned(P0, 0, null);
        TrackedRecord done = publishing(P0, 0, "a");
        core.acknowledged(done);
        TrackedRecord failing = publishing(P0, 1, "b");
        core.stopStarting();

        // The broker refuses the outcome; the retry is still pending when the drain's deadline comes.
        assertThat(core.publishing(failing)).isTrue();
        assertThat(core.inFlight(p -> true)).isEqualTo(1);
        List<TrackedRecord> abandoned = core.abandonUnconfirmed(p -> true);

        assertThat(abandoned).containsExactly(failing);
        assertThat(core.publishing(failing)).as("no retry after the hand-off").isFalse();
        assertThat(commitOffset(P0)).as("committed up to the failing record, not past it").isEqualTo(1);
    }

    @Test
    void aDrainDeadlineWithQueuedRecordsInALaneStartsNoneAndCommitsNoneOfThem() {
        core.assigned(P0, 0, null);
        TrackedRecord running = arrive(P0, 0, "a");
        TrackedRecord second = arrive(P0, 1, "a");
        TrackedRecord third = arrive(P0, 2, "a");
        TrackedRecord otherLane = publishing(P0, 3, "b");
        core.acknowledged(otherLane);
        core.start(running);

        core.revoking(Set.of(P0));
        core.suspendRunning(P0::equals);
        TrackedRecord next = core.handlerReturned(running, false);
        OffsetAndMetadata commit = core.commitOffsets(P0::equals, false).get(P0);
        Released<TrackedRecord> released = core.release(Set.of(P0));

        assertThat(next).isNull();
        assertThat(commit.offset()).isZero();
        assertThat(OffsetMetadata.decode(commit.metadata(), 0).finished()).as("the finished one travels in metadata")
                .containsExactly(3L);
        assertThat(OffsetMetadata.decode(commit.metadata(), 0).started()).containsExactly(0L);
        assertThat(second.phase()).isEqualTo(Phase.DROPPED);
        assertThat(third.phase()).isEqualTo(Phase.DROPPED);
        assertThat(released.handedOff()).isEmpty();
        assertThat(core.heldOffsets()).isZero();
        assertThat(core.heldBytes()).isZero();
    }

    @Test
    void aHandOffFollowedByAReassignmentSkipsExactlyTheFinishedRecords() {
        core.assigned(P0, 0, null);
        TrackedRecord unfinished = arrive(P0, 0, "a");
        TrackedRecord finished = publishing(P0, 1, "b");
        core.acknowledged(finished);
        core.revoking(Set.of(P0));
        OffsetAndMetadata commit = core.commitOffsets(P0::equals, false).get(P0);
        core.release(Set.of(P0));

        EngineCore<TrackedRecord> nextOwner = new EngineCore<>(1_000, Long.MAX_VALUE);
        nextOwner.assigned(P0, commit.offset(), commit);

        assertThat(unfinished.phase()).isEqualTo(Phase.DROPPED);
        assertThat(nextOwner.arrive(new TrackedRecord(P0, 0, "a", 10))).isEqualTo(Arrival.NEW);
        assertThat(nextOwner.arrive(new TrackedRecord(P0, 1, "b", 10)))
                .isEqualTo(Arrival.ALREADY_FINISHED);
        assertThat(nextOwner.arrive(new TrackedRecord(P0, 2, "c", 10))).isEqualTo(Arrival.NEW);
    }

    @Test
    void aCrashedHandlerHoldsItsLaneAndItsPartitionsCommitsUntilHandedOff() {
        core.assigned(P0, 0, null);
        TrackedRecord crashing = arrive(P0, 0, "a");
        TrackedRecord behind = arrive(P0, 1, "a");
        core.start(crashing);

        TrackedRecord next = core.handlerReturned(crashing, true);

        assertThat(crashing.phase()).isEqualTo(Phase.CRASHED);
        assertThat(next).as("the lane stays blocked: the next record must not overtake the crashed one").isNull();
        assertThat(core.mayStart(behind)).isFalse();
        assertThat(core.acknowledged(crashing)).isFalse();
        assertThat(commitOffset(P0)).isZero();
        assertThat(core.held(p -> true, Phase.CRASHED)).containsExactly(crashing);
    }

    @Test
    void positionsPastTransactionMarkersLetTheCommitReachTheEndOnlyOnceNothingBeforeThemIsUnfinished() {
        core.assigned(P0, 0, null);
        TrackedRecord first = publishing(P0, 0, "a");
        TrackedRecord last = publishing(P0, 2, "a"); // offset 1 is a marker of an aborted transaction
        core.acknowledged(last);
        core.reachedPosition(P0, 4); // offset 3 is the commit marker after the last record

        assertThat(commitOffset(P0)).isZero();
        core.acknowledged(first);
        assertThat(commitOffset(P0)).isEqualTo(4);
    }

    @Test
    void theWindowCountsOffsetsAndBytesHeldAndFreesThemAsRecordsFinish() {
        EngineCore<TrackedRecord> small = new EngineCore<>(3, 25);
        small.assigned(P0, 0, null);
        small.assigned(P1, 0, null);
        TrackedRecord a = new TrackedRecord(P0, 0, "a", 10);
        TrackedRecord b = new TrackedRecord(P1, 0, "b", 10);
        small.arrive(a);
        assertThat(small.hasRoom()).isTrue();
        small.arrive(b);
        assertThat(small.hasRoom()).isTrue();
        small.arrive(new TrackedRecord(P1, 1, "c", 10));

        assertThat(small.heldOffsets()).isEqualTo(3);
        assertThat(small.heldBytes()).isEqualTo(30);
        assertThat(small.hasRoom()).isFalse();
        small.start(a);
        small.handlerReturned(a, false);
        small.acknowledged(a);
        assertThat(small.heldOffsets()).isEqualTo(2);
        assertThat(small.heldBytes()).isEqualTo(20);
        assertThat(small.hasRoom()).isTrue();
    }

    @Test
    void everyIllegalPhaseChangeIsRefused() {
        core.assigned(P0, 0, null);
        TrackedRecord record = arrive(P0, 0, "a");

        assertThatThrownBy(() -> core.handlerReturned(record, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("QUEUED");
        assertThatThrownBy(() -> record.arrivedIn(99)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(record::acknowledged).isInstanceOf(IllegalStateException.class);
        assertThat(core.start(record)).isTrue();
        assertThat(core.start(record)).as("started twice").isFalse();
        assertThatThrownBy(() -> core.assigned(P0, 0, null)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void noRecordStartsFurtherPastTheFirstUnfinishedOneThanTheCommitMetadataCanCarry() {
        // The wide hand-off: the first record of a partition hangs while 25,000 after it could run and finish.
        EngineCore<TrackedRecord> wide = new EngineCore<>(30_000, Long.MAX_VALUE);
        wide.assigned(P0, 0, null);
        List<TrackedRecord> records = new java.util.ArrayList<>();
        for (long offset = 0; offset < 25_000; offset++) {
            TrackedRecord record = new TrackedRecord(P0, offset, null, 10);
            assertThat(wide.arrive(record)).isEqualTo(Arrival.NEW);
            records.add(record);
        }
        List<TrackedRecord> started = new java.util.ArrayList<>();
        for (TrackedRecord record : records) {
            if (wide.mayStart(record) && wide.start(record)) {
                started.add(record);
            }
        }
        for (TrackedRecord record : started.subList(1, started.size())) { // all but the hanging first one finish
            wide.handlerReturned(record, false);
            wide.acknowledged(record);
        }
        OffsetAndMetadata handedOver = wide.commitOffsets(P0::equals, false).get(P0);
        OffsetMetadata carried = OffsetMetadata.decode(handedOver.metadata(), handedOver.offset());

        assertThat(started).as("records started while offset 0 hangs").hasSize(24_000);
        assertThat(handedOver.offset()).isZero();
        assertThat(carried.finished()).as("finished offsets the hand-off carries").hasSize(23_999);
        assertThat(handedOver.metadata().length()).isLessThanOrEqualTo(4096);

        // Offset 0 finishes at last: the records held back start, and the hand-off carries them all as they finish.
        wide.handlerReturned(started.get(0), false);
        wide.acknowledged(started.get(0));
        List<TrackedRecord> released = wide.takeStartable();
        assertThat(released).extracting(TrackedRecord::offset).containsExactlyElementsOf(
                records.subList(24_000, 25_000).stream().map(TrackedRecord::offset).toList());
    }

    @Test
    void aBatchFetchedInAnEarlierAssignmentNeverLandsInTheNextOne() {
        // Offsets 100-149 were fetched (assignment 1) and sat in the connector's queue while the partition was lost
        // and assigned back at the last commit, 50: the batch arrives now, before offsets 50-149 are fetched again.
        long first = core.assigned(P0, 50, new OffsetAndMetadata(50));
        core.lost(Set.of(P0));
        long second = core.assigned(P0, 50, new OffsetAndMetadata(50));
        TrackedRecord stale = new TrackedRecord(P0, 100, "a", 10, first);

        assertThat(core.arrive(stale)).isEqualTo(Arrival.STALE);
        TrackedRecord fetchedAgain = new TrackedRecord(P0, 50, "a", 10, second);
        assertThat(core.arrive(fetchedAgain)).as("offset 50, fetched again").isEqualTo(Arrival.NEW);
        assertThat(commitOffset(P0)).isEqualTo(50);
    }

    @Test
    void recordsFetchedBeforeTheirPartitionsStartWasKnownAreStale() {
        // The look-up of where P0 starts failed; the connector resumed it and fetched 0-9 meanwhile (epoch 0).
        TrackedRecord before = new TrackedRecord(P0, 5, null, 10, 0);
        assertThat(core.arrive(before)).isEqualTo(Arrival.NOT_ASSIGNED);
        core.assigned(P0, 0, null);

        assertThat(core.arrive(new TrackedRecord(P0, 7, null, 10, 0))).isEqualTo(Arrival.STALE);
        assertThat(commitOffset(P0)).isZero();
    }
}
