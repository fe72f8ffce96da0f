package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The core's invariants over randomized, seeded event sequences: a small world of partitions whose logs have gaps
 * (transaction markers), records in lanes, handlers that return, crash or get cancelled, a broker that
 * acknowledges or refuses outcomes and commits, revocations, losses and shutdowns with a new process taking over.
 * Every other seed runs exactly once: outcomes are written into a producer transaction that commits with the
 * offsets, or aborts, and a process may also be killed outright; there, every input offset's outcome must become
 * visible exactly once. No threads, no clock, no broker: the same seed always makes the same run. A failure names its seed; rerun it
 * with {@code -Dcore.seed=N}, and turn it into a named test in {@link EngineCoreInterleavingsTest}.
 */
class EngineCoreSequencesTest {

    private static final int SEQUENCES = Integer.getInteger("core.sequences", 10_000);
    private static final int STEPS = 200;

    @Test
    void invariantsHoldOverRandomSequences() {
        Long only = Long.getLong("core.seed");
        long first = only != null ? only : 1;
        long last = only != null ? only : SEQUENCES;
        long events = 0;
        for (long seed = first; seed <= last; seed++) {
            try {
                events += new World(seed).run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("seed " + seed + " (rerun with -Dcore.seed=" + seed + "): " + e.getMessage(),
                        e);
            }
        }
        System.out.printf("EngineCoreSequencesTest: %d sequences, %d events, every invariant held%n",
                last - first + 1, events);
    }

    /** A record as the simulation sees it. */
    static final class SimRecord extends TrackedRecord {
        final int process;

        SimRecord(TopicPartition partition, long offset, String lane, int process) {
            super(partition, offset, lane, 100);
            this.process = process;
        }
    }

    /** One log entry: a record in a lane or in none, or a gap (a transaction marker, an aborted record). */
    private record Entry(boolean gap, String lane) {
    }

    static final class World {
        private final Random random;
        private final List<TopicPartition> partitions = new ArrayList<>();
        private final Map<TopicPartition, List<Entry>> logs = new HashMap<>();
        /** The broker's committed offsets. */
        private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        /** Offsets ever finished (acknowledged while their assignment was current), per partition. */
        private final Map<TopicPartition, Set<Long>> finishedEver = new HashMap<>();
        /**
         * The model of what a commit carries, kept apart from the core: per partition, the offsets at or above the
         * committed one that were finished when it was committed. The next assignment must skip exactly these.
         */
        private final Map<TopicPartition, Set<Long>> committedFinished = new HashMap<>();
        /** Per assigned partition: what its assignment must skip, and what it knows to be finished so far. */
        private final Map<TopicPartition, Set<Long>> mustSkip = new HashMap<>();
        private final Map<TopicPartition, Set<Long>> knownFinished = new HashMap<>();

        private EngineCore<SimRecord> core;
        private int process;
        private final Map<TopicPartition, Long> positions = new HashMap<>();
        private final List<SimRecord> records = new ArrayList<>();
        private final List<SimRecord> dispatched = new ArrayList<>();
        private final List<SimRecord> handlers = new ArrayList<>();
        private final List<SimRecord> outcomes = new ArrayList<>();
        private final Set<TopicPartition> revoking = new HashSet<>();
        /** Partitions of which the core refused a record in this assignment: their position is not passed on. */
        private final Set<TopicPartition> refused = new HashSet<>();
        private boolean shuttingDown;
        private final long window;
        /** Exactly once: outcomes are written into a transaction, visible only once it commits. */
        private final boolean exactlyOnce;
        /** Exactly once: per partition and offset, how many outcomes of it became visible. */
        private final Map<TopicPartition, Map<Long, Integer>> visible = new HashMap<>();
        /** Processes killed outright: their records stay where the kill left them. */
        private final Set<Integer> killed = new HashSet<>();

        World(long seed) {
            this.random = new Random(seed);
            int count = 1 + random.nextInt(3);
            for (int p = 0; p < count; p++) {
                TopicPartition partition = new TopicPartition("t", p);
                partitions.add(partition);
                List<Entry> log = new ArrayList<>();
                int length = random.nextInt(40);
                for (int i = 0; i < length; i++) {
                    int kind = random.nextInt(10);
                    log.add(kind < 2
                            ? new Entry(true, null)
                            : new Entry(false, kind == 2 ? null : "account-" + random.nextInt(4)));
                }
                logs.put(partition, log);
                finishedEver.put(partition, new HashSet<>());
            }
            this.window = 4 + random.nextInt(30);
            this.exactlyOnce = seed % 2 == 0;
            partitions.forEach(partition -> visible.put(partition, new HashMap<>()));
            newProcess();
        }

        private void newProcess() {
            core = new EngineCore<>(window, Long.MAX_VALUE);
            process++;
            positions.clear();
            dispatched.clear();
            revoking.clear();
            shuttingDown = false;
        }

        int run() {
            int steps = 0;
            for (; steps < STEPS; steps++) {
                step();
                checkAlways();
            }
            quiesce();
            return steps;
        }

        private void step() {
            switch (random.nextInt(exactlyOnce ? 15 : 14)) {
                case 0 -> assign();
                case 1, 2 -> fetch();
                case 3, 4 -> begin();
                case 5, 6 -> handlerReturns();
                case 7, 8 -> acknowledge();
                case 9 -> periodicCommit();
                case 10 -> startRevoking();
                case 11 -> finishRevoking();
                case 12 -> lose();
                case 13 -> shutdown();
                case 14 -> kill();
                default -> throw new IllegalStateException();
            }
        }

        private void assign() {
            List<TopicPartition> free = partitions.stream().filter(p -> !core.isAssigned(p)).toList();
            if (free.isEmpty() || shuttingDown) {
                return;
            }
            TopicPartition partition = free.get(random.nextInt(free.size()));
            OffsetAndMetadata commit = committed.get(partition);
            long start = commit == null ? 0 : commit.offset();
            core.assigned(partition, start, commit);
            assignedAt(partition, start);
        }

        private void assignedAt(TopicPartition partition, long start) {
            positions.put(partition, start);
            refused.remove(partition);
            Set<Long> carried = committedFinished.getOrDefault(partition, Set.of());
            mustSkip.put(partition, new HashSet<>(carried));
            knownFinished.put(partition, new HashSet<>(carried));
        }

        private void fetch() {
            List<TopicPartition> assigned = new ArrayList<>(core.assignedPartitions());
            if (assigned.isEmpty() || !core.hasRoom()) {
                return;
            }
            TopicPartition partition = assigned.get(random.nextInt(assigned.size()));
            List<Entry> log = logs.get(partition);
            long position = positions.get(partition);
            int batch = 1 + random.nextInt(3);
            boolean allReached = !refused.contains(partition);
            while (batch > 0 && position < log.size()) {
                Entry entry = log.get((int) position);
                if (!entry.gap()) {
                    allReached &= arrive(partition, position, entry);
                    batch--;
                }
                position++;
            }
            // Trailing gaps are passed by the consumer's position too (a commit marker after the last record).
            while (position < log.size() && log.get((int) position).gap() && random.nextBoolean()) {
                position++;
            }
            positions.put(partition, position);
            if (!allReached) {
                refused.add(partition);
            } else {
                // As the shell's PollWatch: the position is passed on only once every record below it reached the
                // core (one refused during a revocation or a shutdown never does).
                core.reachedPosition(partition, position);
            }
        }

        /** False when the core refused the record (not accepting, revoking): it never reached it. */
        private boolean arrive(TopicPartition partition, long offset, Entry entry) {
            SimRecord record = new SimRecord(partition, offset, entry.lane(), process);
            Arrival arrival = core.arrive(record);
            if (arrival == Arrival.ALREADY_FINISHED) {
                assertThat(finishedEver.get(partition)).as("skipped %s: it must have been finished before", record)
                        .contains(offset);
                assertThat(mustSkip.get(partition)).as("skipped %s, not finished at the last commit", record)
                        .contains(offset);
            } else if (arrival == Arrival.NEW) {
                assertThat(mustSkip.get(partition)).as("%s was finished at the last commit, yet not skipped", record)
                        .doesNotContain(offset);
                records.add(record);
                if (core.mayStart(record)) {
                    dispatched.add(record);
                }
            }
            return arrival == Arrival.NEW || arrival == Arrival.ALREADY_FINISHED || arrival == Arrival.DUPLICATE;
        }

        private void begin() {
            if (dispatched.isEmpty()) {
                return;
            }
            SimRecord record = dispatched.remove(random.nextInt(dispatched.size()));
            if (core.start(record)) {
                handlers.add(record);
            }
        }

        private void handlerReturns() {
            if (handlers.isEmpty()) {
                return;
            }
            SimRecord record = handlers.remove(random.nextInt(handlers.size()));
            SimRecord next = core.handlerReturned(record, random.nextInt(50) == 0);
            if (next != null) {
                dispatched.add(next);
            }
            if (record.phase() == Phase.PUBLISHING) {
                outcomes.add(record);
            }
        }

        private void acknowledge() {
            if (outcomes.isEmpty()) {
                return;
            }
            SimRecord record = outcomes.get(random.nextInt(outcomes.size()));
            if (random.nextInt(4) == 0) {
                return; // the broker refused it this time: the outcome is published again later
            }
            outcomes.remove(record);
            TopicPartition partition = record.partition();
            boolean current = record.process == process && core.epochOf(partition) == record.epoch();
            Map<TopicPartition, OffsetAndMetadata> before = core.commitOffsets(partition::equals, false);
            if (exactlyOnce) {
                boolean written = core.written(record);
                assertThat(!written || current).as("%s written outside its assignment", record).isTrue();
                assertThat(core.commitOffsets(partition::equals, false)).as("writing %s moved the offsets", record)
                        .isEqualTo(before);
                return;
            }
            boolean finished = core.acknowledged(record);
            if (finished) {
                assertThat(current).as("%s finished outside its assignment", record).isTrue();
                finished(record);
            } else {
                assertThat(core.commitOffsets(partition::equals, false)).as("a late outcome of %s moved the offsets",
                        record).isEqualTo(before);
            }
        }

        private void finished(SimRecord record) {
            finishedEver.get(record.partition()).add(record.offset());
            knownFinished.get(record.partition()).add(record.offset());
        }

        private void periodicCommit() {
            if (exactlyOnce) {
                commitTransaction(random.nextInt(5) == 0);
                return;
            }
            if (random.nextInt(5) == 0) {
                return; // refused: a rebalance in progress
            }
            commit(core.commitOffsets(p -> true, true));
        }

        /**
         * Exactly once: the open transaction commits its outcomes with the offsets that pass them, or aborts (refused,
         * or an outcome still unacknowledged) and its outcomes go back to be written again. Returns true if committed.
         */
        private boolean commitTransaction(boolean refused) {
            if (refused || !outcomes.isEmpty() && random.nextBoolean()) {
                List<SimRecord> aborted = core.transactionAborted();
                aborted.forEach(record -> assertThat(record.phase()).isEqualTo(Phase.PUBLISHING));
                outcomes.addAll(aborted);
                return false;
            }
            // The transaction waits for every outcome sent into it; those not sent yet are not part of it.
            Map<TopicPartition, OffsetAndMetadata> offsets = core.transactionOffsets(p -> true, false);
            for (SimRecord record : core.transactionCommitted()) {
                finished(record);
                int times = visible.get(record.partition()).merge(record.offset(), 1, Integer::sum);
                assertThat(times).as("outcome of %s visible twice", record).isOne();
            }
            commit(offsets);
            return true;
        }

        /** Exactly once: SIGKILL. The open transaction is never committed; a new process takes over. */
        private void kill() {
            core.transactionAborted();
            killed.add(process);
            handlers.clear();
            outcomes.clear();
            newProcess();
        }

        private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
            offsets.forEach((partition, commit) -> {
                checkCommit(partition, commit);
                committed.put(partition, commit);
                Set<Long> carried = new HashSet<>();
                knownFinished.get(partition).stream().filter(o -> o >= commit.offset()).forEach(carried::add);
                committedFinished.put(partition, carried);
            });
            core.committed(offsets);
        }

        private void checkCommit(TopicPartition partition, OffsetAndMetadata commit) {
            OffsetAndMetadata previous = committed.get(partition);
            if (previous != null) {
                assertThat(commit.offset()).as("commit of %s went down", partition)
                        .isGreaterThanOrEqualTo(previous.offset());
            }
            long epoch = core.epochOf(partition);
            for (SimRecord record : records) {
                if (record.partition().equals(partition) && record.process == process && record.epoch() == epoch
                        && record.offset() < commit.offset()) {
                    assertThat(record.phase()).as("commit %d of %s passes %s", commit.offset(), partition, record)
                            .isEqualTo(Phase.FINISHED);
                }
            }
            OffsetMetadata metadata = OffsetMetadata.decode(commit.metadata(), commit.offset());
            assertThat(finishedEver.get(partition)).as("metadata of %s marks unfinished offsets finished", partition)
                    .containsAll(metadata.finished());
            assertThat(OffsetMetadata.decode(metadata.encode(commit.offset()), commit.offset()))
                    .as("metadata round trip").isEqualTo(metadata);
        }

        private void startRevoking() {
            List<TopicPartition> assigned = new ArrayList<>(core.assignedPartitions());
            assigned.removeAll(revoking);
            if (assigned.isEmpty()) {
                return;
            }
            TopicPartition partition = assigned.get(random.nextInt(assigned.size()));
            core.revoking(Set.of(partition));
            revoking.add(partition);
        }

        /** The drain's deadline: cancel what runs, give up on unacknowledged outcomes, commit, release. */
        private void finishRevoking() {
            if (revoking.isEmpty()) {
                return;
            }
            TopicPartition partition = revoking.iterator().next();
            drainAndRelease(Set.of(partition));
            revoking.remove(partition);
        }

        private void drainAndRelease(Set<TopicPartition> scope) {
            core.suspendRunning(scope::contains);
            if (exactlyOnce) {
                // The drain's final transaction: everything written so far commits, or nothing does and the scope's
                // outcomes are handed off (the others are written again into the next transaction).
                if (!commitTransaction(random.nextInt(6) == 0)) {
                    core.abandonUnconfirmed(scope::contains);
                    outcomes.removeIf(record -> record.phase() != Phase.PUBLISHING);
                }
            }
            core.abandonUnconfirmed(scope::contains);
            boolean refused = random.nextInt(6) == 0;
            if (!refused && !exactlyOnce) {
                commit(core.commitOffsets(scope::contains, false));
            }
            Released<SimRecord> released = core.release(scope);
            assertThat(released.handedOff()).as("a drain left records in flight").isEmpty();
            dispatched.addAll(released.toStart());
            scope.forEach(positions::remove);
        }

        private void lose() {
            List<TopicPartition> assigned = new ArrayList<>(core.assignedPartitions());
            if (assigned.isEmpty()) {
                return;
            }
            TopicPartition partition = assigned.get(random.nextInt(assigned.size()));
            if (exactlyOnce) {
                outcomes.addAll(core.transactionAborted()); // the shell aborts first: nothing of it may commit now
            }
            Released<SimRecord> released = core.lost(Set.of(partition));
            released.handedOff().forEach(record -> assertThat(record.phase().handedOff()).isTrue());
            dispatched.addAll(released.toStart());
            revoking.remove(partition);
            positions.remove(partition);
        }

        /** SIGTERM: stop starting; later the drain's deadline; then a new process takes over. */
        private void shutdown() {
            if (!shuttingDown) {
                core.stopStarting();
                shuttingDown = true;
                return;
            }
            drainAndRelease(core.assignedPartitions());
            handlers.clear(); // the old process is gone, with its threads
            outcomes.clear();
            newProcess();
        }

        private void checkAlways() {
            for (String lane : core.lanes()) {
                assertThat(core.runningInLane(lane)).as("handlers running in lane %s", lane).isLessThanOrEqualTo(1);
            }
            assertThat(core.heldOffsets()).isGreaterThanOrEqualTo(0);
            assertThat(core.heldBytes()).isGreaterThanOrEqualTo(0);
            if (core.assignedPartitions().isEmpty()) {
                assertThat(core.heldOffsets()).isZero();
                assertThat(core.heldBytes()).isZero();
            }
            for (SimRecord record : records) {
                if (killed.contains(record.process)) {
                    continue;
                }
                boolean assignedNow = record.process == process && core.epochOf(record.partition()) == record.epoch();
                if (!assignedNow && !record.phase().handedOff() && record.phase() != Phase.FINISHED) {
                    fail("%s is %s, but its assignment ended", record, record.phase());
                }
            }
        }

        /** Everything settles: each arrived record ends finished or handed off; a fully read log commits its end. */
        private void quiesce() {
            while (!revoking.isEmpty()) {
                finishRevoking();
            }
            if (shuttingDown) {
                drainAndRelease(core.assignedPartitions());
                handlers.clear();
                outcomes.clear();
                newProcess();
            }
            partitions.forEach(partition -> {
                if (!core.isAssigned(partition)) {
                    OffsetAndMetadata commit = committed.get(partition);
                    core.assigned(partition, commit == null ? 0 : commit.offset(), commit);
                    assignedAt(partition, commit == null ? 0 : commit.offset());
                }
            });
            for (int round = 0; round < 10_000 && hasWork(); round++) {
                fetchAll();
                while (!dispatched.isEmpty() || !handlers.isEmpty() || !outcomes.isEmpty()) {
                    while (!dispatched.isEmpty()) {
                        SimRecord record = dispatched.remove(0);
                        if (core.start(record)) {
                            handlers.add(record);
                        }
                    }
                    while (!handlers.isEmpty()) {
                        SimRecord record = handlers.remove(0);
                        SimRecord next = core.handlerReturned(record, false);
                        if (next != null) {
                            dispatched.add(next);
                        }
                        if (record.phase() == Phase.PUBLISHING) {
                            outcomes.add(record);
                        }
                    }
                    while (!outcomes.isEmpty()) {
                        SimRecord record = outcomes.remove(0);
                        if (exactlyOnce) {
                            core.written(record);
                        } else if (core.acknowledged(record)) {
                            finished(record);
                        }
                    }
                }
                if (exactlyOnce) {
                    commitTransaction(false);
                } else {
                    commit(core.commitOffsets(p -> true, true));
                }
            }
            for (SimRecord record : records) {
                if (killed.contains(record.process)) {
                    continue;
                }
                boolean behindACrash = records.stream().anyMatch(r -> r.phase() == Phase.CRASHED
                        && r.process == record.process && r.lane() != null && r.lane().equals(record.lane()));
                assertThat(record.phase() == Phase.FINISHED || record.phase().handedOff()
                        || behindACrash && record.phase() == Phase.QUEUED)
                        .as("%s ends %s; its lane: %s", record, record.phase(), records.stream()
                                .filter(r -> r.process == record.process && r.lane() != null
                                        && r.lane().equals(record.lane()))
                                .map(r -> r + " " + r.phase() + " e" + r.epoch()).toList())
                        .isTrue();
            }
            boolean crashed = records.stream().anyMatch(r -> r.phase() == Phase.CRASHED && r.process == process);
            if (!crashed) {
                partitions.forEach(partition -> assertThat(committed.getOrDefault(partition,
                        new OffsetAndMetadata(0)).offset()).as("lag of %s", partition)
                        .isEqualTo(logs.get(partition).size()));
                if (exactlyOnce) {
                    partitions.forEach(partition -> {
                        List<Entry> log = logs.get(partition);
                        for (long offset = 0; offset < log.size(); offset++) {
                            if (!log.get((int) offset).gap()) {
                                assertThat(visible.get(partition).getOrDefault(offset, 0))
                                        .as("visible outcomes of %s@%d", partition, offset).isOne();
                            }
                        }
                    });
                }
            }
        }

        private boolean hasWork() {
            return partitions.stream().anyMatch(p -> positions.get(p) < logs.get(p).size())
                    || !dispatched.isEmpty() || !handlers.isEmpty() || !outcomes.isEmpty();
        }

        private void fetchAll() {
            for (TopicPartition partition : partitions) {
                List<Entry> log = logs.get(partition);
                long position = positions.get(partition);
                while (position < log.size() && core.hasRoom()) {
                    Entry entry = log.get((int) position);
                    if (!entry.gap()) {
                        assertThat(arrive(partition, position, entry)).as("refused while settling").isTrue();
                    }
                    position++;
                }
                positions.put(partition, position);
                core.reachedPosition(partition, position);
            }
        }
    }
}
