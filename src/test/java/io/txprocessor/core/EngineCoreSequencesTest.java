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
 * Between the consumer and the core sits the connector's queue: batches are stamped with the assignment they were
 * fetched in and reach the core later, after losses, revocations and new assignments; the look-up of where a
 * partition starts can fail, and the connector fetches it all the same (it resumes every partition when its queue
 * drains) until the shell, once the start is known, sends the consumer back to it. Every other seed runs exactly
 * once: outcomes are written into a producer transaction, tagged with it, that commits with the offsets (fenced by a
 * membership read earlier, which may be stale by then) or aborts, and a process may also be killed outright; there,
 * every input offset's outcome must become visible exactly once. No threads, no clock, no broker: the same seed
 * always makes the same run. A failure names its seed; rerun it with {@code -Dcore.seed=N} ({@code -Dcore.trace=true}
 * prints every step), and turn it into a named test in {@link EngineCoreInterleavingsTest}.
 *
 * <p>
 * Two scales: many short sequences (windows of 4-33, spans capped as low as 1, so every limit is reached often),
 * and a few wide ones, with the windows the service allows (20,000-30,000 offsets on one or two partitions), the
 * real span limit and the real commit metadata: a hand-off there carries every finished offset, or the next
 * assignment processes one again and the model says so.
 */
class EngineCoreSequencesTest {

    private static final int SEQUENCES = Integer.getInteger("core.sequences", 10_000);
    private static final int WIDE_SEQUENCES = Integer.getInteger("core.wide-sequences", 8);

    /** The size of a world and of what one step does. */
    record Scale(String name, int maxPartitions, int minLog, int maxLog, int minWindow, int maxWindow, int minSpan,
            int maxSpan, int lanes, int maxBatch, int maxBurst, int hangOneIn, int calm, int steps) {
    }

    /** Short logs and windows; up to one handler in 10 hangs (a ledger call that does not return) for a while. */
    static final Scale SMALL = new Scale("small", 3, 0, 40, 4, 34, 1, 41, 4, 3, 1, 10, 1, 200);
    /**
     * The windows the service allows, with from one handler in 2 to one in 3,000 hanging (log-uniform per world: dense
     * patterns of finished and unfinished offsets, and single stuck records) while thousands after them finish;
     * revocations,
     * losses, shutdowns and kills 12 times rarer, so that windows fill before they are handed off.
     */
    static final Scale WIDE = new Scale("wide", 2, 20_000, 60_000, 20_000, 30_001, OffsetMetadata.MAX_SPAN,
            OffsetMetadata.MAX_SPAN + 1, 5_000, 2_000, 4_000, 3_000, 12, 300);

    @Test
    void invariantsHoldOverRandomSequences() {
        run(SMALL, SEQUENCES);
    }

    @Test
    void invariantsHoldOverWideWindowsWithTheRealCommitMetadata() {
        run(WIDE, WIDE_SEQUENCES);
    }

    private static void run(Scale scale, int sequences) {
        Long only = Long.getLong("core.seed");
        long first = only != null ? only : 1;
        long last = only != null ? only : sequences;
        long events = 0;
        for (long seed = first; seed <= last; seed++) {
            try {
                events += new World(seed, scale).run();
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(scale.name() + " seed " + seed + " (rerun with -Dcore.seed=" + seed + "): "
                        + e.getMessage(), e);
            }
        }
        System.out.printf("EngineCoreSequencesTest (%s): %d sequences, %d steps, every invariant held%n",
                scale.name(), last - first + 1, events);
    }

    /** A record as the simulation sees it. */
    static final class SimRecord extends TrackedRecord {
        final int process;
        /** Exactly once: the producer transaction its outcome was last sent in. */
        long sentIn;
        /** Its handler hangs: it returns only rarely, or when a drain cancels it. */
        boolean hangs;

        SimRecord(TopicPartition partition, long offset, String lane, int process, long fetchedIn) {
            super(partition, offset, lane, 100, fetchedIn);
            this.process = process;
        }
    }

    /** One log entry: a record in a lane or in none, or a gap (a transaction marker, an aborted record). */
    private record Entry(boolean gap, String lane) {
    }

    /** Records one poll returned, waiting in the connector's queue: stamped with the epoch they were fetched in. */
    private record Batch(TopicPartition partition, long from, long to, long stamp) {
    }

    static final class World {
        private final Random random;
        private final Scale scale;
        private final List<TopicPartition> partitions = new ArrayList<>();
        private final Map<TopicPartition, List<Entry>> logs = new HashMap<>();
        /** The broker's committed offsets. */
        private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        /** Offsets ever finished (acknowledged while their assignment was current), per partition. */
        private final Map<TopicPartition, Set<Long>> finishedEver = new HashMap<>();
        /** Per partition: every record below this offset was checked to be finished when a commit passed it. */
        private final Map<TopicPartition, Long> checkedUpTo = new HashMap<>();
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
        /** The consumer's assignment: what the core has, and partitions whose start is still being looked up. */
        private final Set<TopicPartition> consumerAssigned = new HashSet<>();
        private final Set<TopicPartition> pendingStart = new HashSet<>();
        /** The consumer's fetch positions. */
        private final Map<TopicPartition, Long> positions = new HashMap<>();
        /** The connector's queue of polled batches, in poll order. */
        private final List<Batch> queue = new ArrayList<>();
        private final List<SimRecord> records = new ArrayList<>();
        private final List<SimRecord> dispatched = new ArrayList<>();
        private final List<SimRecord> handlers = new ArrayList<>();
        private final List<SimRecord> outcomes = new ArrayList<>();
        private final Set<TopicPartition> revoking = new HashSet<>();
        /** Partitions of which the core refused a record in this assignment: their position is not passed on. */
        private final Set<TopicPartition> refused = new HashSet<>();
        private boolean shuttingDown;
        private final long window;
        /** One handler in this many hangs. */
        private final int hangOneIn;
        private final int maxSpan;
        /** Exactly once: outcomes are written into a transaction, visible only once it commits. */
        private final boolean exactlyOnce;
        /** Exactly once: per partition and offset, how many outcomes of it became visible. */
        private final Map<TopicPartition, Map<Long, Integer>> visible = new HashMap<>();
        /** Exactly once: SUSPENDED events sent into the open transaction (a drain's), which make it one with sends. */
        private boolean suspendedSent;
        /** Exactly once: the assignment as the polling thread read it for the timer's next transaction. */
        private Set<TopicPartition> membership;
        /** Processes killed outright: their records stay where the kill left them. */
        private final Set<Integer> killed = new HashSet<>();

        World(long seed, Scale scale) {
            this.random = new Random(seed);
            this.scale = scale;
            int count = 1 + random.nextInt(scale.maxPartitions());
            for (int p = 0; p < count; p++) {
                TopicPartition partition = new TopicPartition("t", p);
                partitions.add(partition);
                List<Entry> log = new ArrayList<>();
                int length = scale.minLog() + random.nextInt(scale.maxLog() - scale.minLog());
                for (int i = 0; i < length; i++) {
                    int kind = random.nextInt(10);
                    log.add(kind < 2
                            ? new Entry(true, null)
                            : new Entry(false, kind == 2 ? null : "account-" + random.nextInt(scale.lanes())));
                }
                logs.put(partition, log);
                finishedEver.put(partition, new HashSet<>());
                checkedUpTo.put(partition, 0L);
            }
            this.window = scale.minWindow() + random.nextInt(scale.maxWindow() - scale.minWindow());
            this.maxSpan = scale.minSpan() + random.nextInt(scale.maxSpan() - scale.minSpan());
            this.exactlyOnce = seed % 2 == 0;
            this.hangOneIn = 1 + (int) Math.pow(scale.hangOneIn(), random.nextDouble());
            partitions.forEach(partition -> visible.put(partition, new HashMap<>()));
            newProcess();
        }

        private void newProcess() {
            core = new EngineCore<>(window, Long.MAX_VALUE, maxSpan);
            process++;
            consumerAssigned.clear();
            pendingStart.clear();
            positions.clear();
            queue.clear();
            dispatched.clear();
            revoking.clear();
            shuttingDown = false;
            suspendedSent = false;
            membership = null;
        }

        int run() {
            int steps = 0;
            for (; steps < scale.steps(); steps++) {
                step();
                checkAlways();
            }
            quiesce();
            return steps;
        }

        private void step() {
            int op = random.nextInt(exactlyOnce ? 19 : 17);
            boolean disruptive = op >= 12 && op <= 15 || op == 17;
            if (disruptive && random.nextInt(scale.calm()) != 0) {
                op = 1 + random.nextInt(11); // the flow goes on instead: fetch, deliver, start, return, acknowledge
            }
            if (Boolean.getBoolean("core.trace")) {
                System.out.println("TRACE p" + process + " op " + op + " records " + records.stream()
                        .filter(r -> r.process == process).map(r -> r + ":" + r.phase() + ":e" + r.epoch()).toList()
                        + " dispatched " + dispatched + " handlers " + handlers + " queue " + queue);
            }
            switch (op) {
                case 0 -> assign();
                case 1, 2 -> fetch();
                case 3, 4 -> deliver();
                case 5, 6 -> begin();
                case 7, 8 -> handlerReturns();
                case 9, 10 -> acknowledge();
                case 11 -> periodicCommit();
                case 12 -> startRevoking();
                case 13 -> finishRevoking();
                case 14 -> lose();
                case 15 -> shutdown();
                case 16 -> retryLookUp();
                case 17 -> kill();
                case 18 -> readMembership();
                default -> throw new IllegalStateException();
            }
        }

        /** How many records one step acts on: one at the small scale, up to thousands at the wide one. */
        private int burst() {
            return 1 + random.nextInt(scale.maxBurst());
        }

        private <T> T takeRandom(List<T> list) {
            int index = random.nextInt(list.size());
            T taken = list.get(index);
            list.set(index, list.get(list.size() - 1));
            list.remove(list.size() - 1);
            return taken;
        }

        private void assign() {
            List<TopicPartition> free = partitions.stream().filter(p -> !consumerAssigned.contains(p)).toList();
            if (free.isEmpty() || shuttingDown) {
                return;
            }
            TopicPartition partition = free.get(random.nextInt(free.size()));
            OffsetAndMetadata commit = committed.get(partition);
            consumerAssigned.add(partition);
            positions.put(partition, commit == null ? 0 : commit.offset()); // the consumer starts at the commit
            if (random.nextInt(4) == 0) {
                pendingStart.add(partition); // the look-up timed out: the core does not know the partition yet
                return;
            }
            startAt(partition);
        }

        /** The start is known: the core takes the partition, and the consumer goes back to the start. */
        private void startAt(TopicPartition partition) {
            OffsetAndMetadata commit = committed.get(partition);
            long start = commit == null ? 0 : commit.offset();
            core.assigned(partition, start, commit);
            positions.put(partition, start); // PartitionStarts seeks: whatever was fetched meanwhile comes again
            refused.remove(partition);
            Set<Long> carried = committedFinished.getOrDefault(partition, Set.of());
            mustSkip.put(partition, new HashSet<>(carried));
            knownFinished.put(partition, new HashSet<>(carried));
        }

        private void retryLookUp() {
            if (pendingStart.isEmpty() || shuttingDown) {
                return;
            }
            TopicPartition partition = pendingStart.iterator().next();
            pendingStart.remove(partition);
            startAt(partition);
        }

        /**
         * A poll: records of one assigned partition, from the consumer's position, into the connector's queue. The
         * connector resumes every assigned partition when its queue drains, so a partition whose start is unknown is
         * fetched too.
         */
        private void fetch() {
            List<TopicPartition> assigned = new ArrayList<>(consumerAssigned);
            assigned.removeAll(revoking); // a revocation drain runs inside poll(): nothing is fetched meanwhile
            if (assigned.isEmpty() || !core.hasRoom() || shuttingDown) {
                return;
            }
            assigned.sort(java.util.Comparator.comparing(TopicPartition::partition));
            TopicPartition partition = assigned.get(random.nextInt(assigned.size()));
            List<Entry> log = logs.get(partition);
            long from = positions.get(partition);
            long position = from;
            int batch = 1 + random.nextInt(scale.maxBatch());
            while (batch > 0 && position < log.size()) {
                if (!log.get((int) position).gap()) {
                    batch--;
                }
                position++;
            }
            // Trailing gaps are passed by the consumer's position too (a commit marker after the last record).
            while (position < log.size() && log.get((int) position).gap() && random.nextBoolean()) {
                position++;
            }
            positions.put(partition, position);
            if (position > from) {
                queue.add(new Batch(partition, from, position, core.epochOf(partition)));
            }
        }

        /** The connector hands the oldest batch of its queue to the core. */
        private void deliver() {
            if (queue.isEmpty()) {
                return;
            }
            Batch batch = queue.remove(0);
            TopicPartition partition = batch.partition();
            List<Entry> log = logs.get(partition);
            boolean allReached = !refused.contains(partition);
            boolean current = core.isAssigned(partition) && batch.stamp() == core.epochOf(partition);
            for (long offset = batch.from(); offset < batch.to(); offset++) {
                Entry entry = log.get((int) offset);
                if (!entry.gap()) {
                    allReached &= arrive(partition, offset, entry, batch.stamp());
                }
            }
            if (!current) {
                return; // fetched in an earlier assignment: this one fetches those offsets again itself
            }
            if (!allReached) {
                refused.add(partition);
            } else {
                // As the shell's PollWatch: the position is passed on only once every record below it reached the
                // core (one refused during a revocation or a shutdown never does).
                core.reachedPosition(partition, batch.to());
            }
        }

        /** False when the core refused the record (not accepting, revoking, stale): it never reached it. */
        private boolean arrive(TopicPartition partition, long offset, Entry entry, long stamp) {
            SimRecord record = new SimRecord(partition, offset, entry.lane(), process, stamp);
            Arrival arrival = core.arrive(record);
            if (arrival == Arrival.ALREADY_FINISHED) {
                // The sets' own contains: AssertJ's would walk a wide window's set for every record.
                assertThat(finishedEver.get(partition).contains(offset))
                        .as("skipped %s: it must have been finished before", record).isTrue();
                assertThat(mustSkip.get(partition).contains(offset))
                        .as("skipped %s, not finished at the last commit", record).isTrue();
            } else if (arrival == Arrival.NEW) {
                assertThat(stamp).as("%s of an earlier assignment admitted", record)
                        .isEqualTo(core.epochOf(partition));
                assertThat(mustSkip.get(partition).contains(offset))
                        .as("%s was finished at the last commit, yet not skipped", record).isFalse();
                records.add(record);
                if (core.mayStart(record)) {
                    dispatched.add(record);
                }
            }
            return arrival == Arrival.NEW || arrival == Arrival.ALREADY_FINISHED || arrival == Arrival.DUPLICATE;
        }

        private void begin() {
            for (int n = burst(); n > 0 && !dispatched.isEmpty(); n--) {
                SimRecord record = takeRandom(dispatched);
                if (core.start(record)) {
                    record.hangs = random.nextInt(hangOneIn) == 0;
                    handlers.add(record);
                }
            }
        }

        private void handlerReturns() {
            for (int n = burst(); n > 0 && !handlers.isEmpty(); n--) {
                SimRecord record = takeRandom(handlers);
                if (record.hangs && record.phase() == Phase.RUNNING && random.nextInt(100) != 0) {
                    handlers.add(record); // still hanging
                    continue;
                }
                SimRecord next = core.handlerReturned(record, random.nextInt(50) == 0);
                if (next != null) {
                    dispatched.add(next);
                }
                if (record.phase() == Phase.PUBLISHING) {
                    send(record);
                }
            }
        }

        /** The outcome goes to the broker; exactly once, into the open transaction, tagged with it. */
        private void send(SimRecord record) {
            record.sentIn = core.producerTransaction();
            outcomes.add(record);
        }

        private void acknowledge() {
            for (int n = burst(); n > 0 && !outcomes.isEmpty(); n--) {
                if (random.nextInt(4) == 0) {
                    continue; // not yet: the broker answers later
                }
                acknowledged(takeRandom(outcomes));
            }
        }

        private void acknowledged(SimRecord record) {
            TopicPartition partition = record.partition();
            boolean current = record.process == process && core.epochOf(partition) == record.epoch();
            // Encoding a wide window's metadata costs milliseconds: at the wide scale one acknowledgement in 64 checks
            // that it did not move the offsets.
            boolean check = scale.maxBurst() == 1 || random.nextInt(64) == 0;
            Map<TopicPartition, OffsetAndMetadata> before = check ? core.commitOffsets(partition::equals, false) : null;
            if (exactlyOnce) {
                boolean written = core.written(record, record.sentIn);
                assertThat(!written || current).as("%s written outside its assignment", record).isTrue();
                if (check) {
                    assertThat(core.commitOffsets(partition::equals, false)).as("writing %s moved the offsets", record)
                            .isEqualTo(before);
                }
                if (!written && current && record.phase() == Phase.PUBLISHING) {
                    send(record); // its transaction aborted meanwhile: the outcome goes into the open one
                }
                return;
            }
            boolean finished = core.acknowledged(record);
            if (finished) {
                assertThat(current).as("%s finished outside its assignment", record).isTrue();
                finished(record);
                dispatched.addAll(core.takeStartable());
            } else if (check) {
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
                // The timer's transaction, fenced by the membership the polling thread read last (stale, maybe).
                // It stays what it was until the polling thread reads it again.
                Set<TopicPartition> scope = membership != null ? membership : core.assignedPartitions();
                commitTransaction(scope, random.nextBoolean(), random.nextInt(5) == 0);
                return;
            }
            if (random.nextInt(5) == 0) {
                return; // refused: a rebalance in progress
            }
            commit(core.commitOffsets(p -> true, true));
        }

        /** Exactly once: the polling thread reads the membership the timer's next transaction is fenced by. */
        private void readMembership() {
            membership = core.assignedPartitions();
        }

        /**
         * Exactly once, as the shell's TransactionLifecycle: the open transaction closes to sends, every outcome sent
         * into it comes back (acknowledged, or refused: then it aborts), and it commits with the offsets of the scope,
         * or aborts: refused by the broker, an outcome of a partition outside the scope in it, or sends and no
         * offsets to fence them. Returns true if committed.
         */
        private boolean commitTransaction(Set<TopicPartition> scope, boolean onlyChanged, boolean refusedByBroker) {
            boolean failedSend = false;
            List<SimRecord> sentInThis = new ArrayList<>();
            outcomes.removeIf(record -> record.sentIn == core.producerTransaction() && record.process == process
                    && sentInThis.add(record));
            for (SimRecord record : sentInThis) {
                if (random.nextInt(8) == 0) {
                    failedSend = true; // refused: it is sent again, into the next transaction
                    if (record.phase() == Phase.PUBLISHING) {
                        outcomes.add(record);
                    }
                } else {
                    acknowledged(record);
                }
            }
            boolean hasSends = suspendedSent || !core.held(p -> true, Phase.WRITTEN).isEmpty();
            Map<TopicPartition, OffsetAndMetadata> offsets = core.transactionOffsets(scope::contains, onlyChanged,
                    hasSends);
            if (refusedByBroker || failedSend || core.writtenOutside(scope::contains)
                    || hasSends && offsets.isEmpty()) {
                List<SimRecord> aborted = core.transactionAborted();
                aborted.forEach(record -> assertThat(record.phase()).isEqualTo(Phase.PUBLISHING));
                aborted.forEach(this::send);
                suspendedSent = false;
                return false;
            }
            long committing = core.producerTransaction();
            for (SimRecord record : core.transactionCommitted()) {
                assertThat(record.sentIn).as("%s finished by a transaction its outcome was not sent in", record)
                        .isEqualTo(committing);
                assertThat(offsets).as("%s committed visible without its partition's offsets", record)
                        .containsKey(record.partition());
                finished(record);
                int times = visible.get(record.partition()).merge(record.offset(), 1, Integer::sum);
                assertThat(times).as("outcome of %s visible twice", record).isOne();
            }
            dispatched.addAll(core.takeStartable());
            suspendedSent = false;
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
            // Whatever this commit passes was finished by some process: no record is ever committed unprocessed.
            List<Entry> log = logs.get(partition);
            for (long offset = checkedUpTo.get(partition); offset < commit.offset(); offset++) {
                if (!log.get((int) offset).gap() && !finishedEver.get(partition).contains(offset)) {
                    fail("commit %d of %s passes %d, which no process finished", commit.offset(), partition, offset);
                }
            }
            checkedUpTo.put(partition, Math.max(checkedUpTo.get(partition), commit.offset()));
            long epoch = core.epochOf(partition);
            for (SimRecord record : records) {
                if (record.partition().equals(partition) && record.process == process && record.epoch() == epoch
                        && record.offset() < commit.offset()) {
                    assertThat(record.phase()).as("commit %d of %s passes %s", commit.offset(), partition, record)
                            .isEqualTo(Phase.FINISHED);
                }
            }
            assertThat(commit.metadata().length()).as("metadata of %s", partition)
                    .isLessThanOrEqualTo(OffsetMetadata.MAX_LENGTH);
            OffsetMetadata metadata = OffsetMetadata.decode(commit.metadata(), commit.offset());
            assertThat(finishedEver.get(partition).containsAll(metadata.finished()))
                    .as("metadata of %s marks unfinished offsets finished", partition).isTrue();
            assertThat(OffsetMetadata.decode(metadata.encode(commit.offset()), commit.offset()))
                    .as("metadata round trip").isEqualTo(metadata);
        }

        private void startRevoking() {
            List<TopicPartition> assigned = new ArrayList<>(core.assignedPartitions());
            assigned.removeAll(revoking);
            if (assigned.isEmpty()) {
                return;
            }
            assigned.sort(java.util.Comparator.comparing(TopicPartition::partition));
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
            List<SimRecord> suspended = core.suspendRunning(scope::contains);
            if (exactlyOnce) {
                // The drain's final transaction, with its SUSPENDED events: everything written so far commits, or
                // nothing does and the scope's outcomes are handed off (the others go into the next transaction).
                suspendedSent |= !suspended.isEmpty();
                if (!commitTransaction(core.assignedPartitions(), false, random.nextInt(6) == 0)) {
                    core.abandonUnconfirmed(scope::contains);
                    outcomes.removeIf(record -> record.phase() != Phase.PUBLISHING);
                }
            }
            core.abandonUnconfirmed(scope::contains);
            boolean refusedByBroker = random.nextInt(6) == 0;
            if (!refusedByBroker && !exactlyOnce) {
                commit(core.commitOffsets(scope::contains, false));
            }
            Released<SimRecord> released = core.release(scope);
            assertThat(released.handedOff()).as("a drain left records in flight").isEmpty();
            dispatched.addAll(released.toStart());
            gone(scope);
        }

        /** The consumer no longer has these partitions; batches of them may still wait in the connector's queue. */
        private void gone(Set<TopicPartition> scope) {
            scope.forEach(positions::remove);
            consumerAssigned.removeAll(scope);
            pendingStart.removeAll(scope);
        }

        private void lose() {
            List<TopicPartition> assigned = new ArrayList<>(consumerAssigned);
            if (assigned.isEmpty()) {
                return;
            }
            assigned.sort(java.util.Comparator.comparing(TopicPartition::partition));
            TopicPartition partition = assigned.get(random.nextInt(assigned.size()));
            if (exactlyOnce) {
                // The shell aborts first: nothing of the open transaction may commit now.
                core.transactionAborted().forEach(this::send);
                suspendedSent = false;
            }
            Released<SimRecord> released = core.lost(Set.of(partition));
            released.handedOff().forEach(record -> assertThat(record.phase().handedOff()).isTrue());
            dispatched.addAll(released.toStart());
            revoking.remove(partition);
            gone(Set.of(partition));
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
            while (!pendingStart.isEmpty()) {
                retryLookUp();
            }
            partitions.forEach(partition -> {
                if (!consumerAssigned.contains(partition)) {
                    consumerAssigned.add(partition);
                    OffsetAndMetadata commit = committed.get(partition);
                    positions.put(partition, commit == null ? 0 : commit.offset());
                    startAt(partition);
                }
            });
            for (int round = 0; round < 10_000 && hasWork(); round++) {
                while (!queue.isEmpty()) {
                    deliver();
                }
                fetchAll();
                while (!dispatched.isEmpty() || !handlers.isEmpty() || !outcomes.isEmpty()) {
                    while (!dispatched.isEmpty()) {
                        SimRecord record = dispatched.remove(dispatched.size() - 1);
                        if (core.start(record)) {
                            handlers.add(record);
                        }
                    }
                    while (!handlers.isEmpty()) {
                        SimRecord record = handlers.remove(handlers.size() - 1);
                        SimRecord next = core.handlerReturned(record, false);
                        if (next != null) {
                            dispatched.add(next);
                        }
                        if (record.phase() == Phase.PUBLISHING) {
                            send(record);
                        }
                    }
                    while (!outcomes.isEmpty()) {
                        SimRecord record = outcomes.remove(outcomes.size() - 1);
                        if (exactlyOnce) {
                            if (!core.written(record, record.sentIn) && record.phase() == Phase.PUBLISHING
                                    && record.process == process
                                    && core.epochOf(record.partition()) == record.epoch()) {
                                send(record);
                                outcomes.remove(outcomes.size() - 1);
                                core.written(record, record.sentIn);
                            }
                        } else if (core.acknowledged(record)) {
                            finished(record);
                            dispatched.addAll(core.takeStartable());
                        }
                    }
                    if (exactlyOnce) {
                        settleTransaction();
                    }
                }
                if (exactlyOnce) {
                    settleTransaction();
                } else {
                    commit(core.commitOffsets(p -> true, true));
                }
            }
            // The last commit, also when nothing was left to fetch: exactly once, what is WRITTEN is in the open one.
            if (exactlyOnce) {
                settleTransaction();
            } else {
                commit(core.commitOffsets(p -> true, true));
            }
            // A crashed handler keeps its lane, and its partition's first unfinished offset, until the process is
            // replaced: records queued in that lane, or further than the span past it, wait for the next owner, and so
            // do records queued in the lanes those head, in whatever partition.
            Map<String, Long> firstCrash = new HashMap<>();
            Set<String> blockedLanes = new HashSet<>();
            records.stream().filter(r -> r.phase() == Phase.CRASHED).forEach(r -> {
                if (r.lane() != null) {
                    blockedLanes.add(r.process + "/" + r.lane());
                }
                firstCrash.merge(r.process + "/" + r.partition() + "/" + r.epoch(), r.offset(), Math::min);
            });
            Set<SimRecord> waiting = new HashSet<>();
            for (boolean grew = true; grew;) {
                grew = false;
                for (SimRecord record : records) {
                    if (record.phase() != Phase.QUEUED || waiting.contains(record)) {
                        continue;
                    }
                    Long crash = firstCrash.get(record.process + "/" + record.partition() + "/" + record.epoch());
                    if (record.lane() != null && blockedLanes.contains(record.process + "/" + record.lane())
                            || crash != null && record.offset() >= crash + maxSpan) {
                        waiting.add(record);
                        grew |= record.lane() != null && blockedLanes.add(record.process + "/" + record.lane());
                    }
                }
            }
            for (SimRecord record : records) {
                if (killed.contains(record.process)) {
                    continue;
                }
                boolean behindACrash = waiting.contains(record);
                assertThat(record.phase() == Phase.FINISHED || record.phase().handedOff()
                        || behindACrash && record.phase() == Phase.QUEUED)
                        .as("%s ends %s (epoch %d, process %d)", record, record.phase(), record.epoch(),
                                record.process)
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

        /** While settling, exactly once: a transaction that commits, with every partition as its scope. */
        private void settleTransaction() {
            while (!commitTransaction(core.assignedPartitions(), true, false)) {
                // an outcome was refused: it is in the next transaction, which commits in turn
                for (SimRecord record : new ArrayList<>(outcomes)) {
                    outcomes.remove(record);
                    if (!core.written(record, record.sentIn) && record.phase() == Phase.PUBLISHING) {
                        send(record);
                    }
                }
            }
        }

        private boolean hasWork() {
            return partitions.stream().anyMatch(p -> positions.get(p) < logs.get(p).size()) || !queue.isEmpty()
                    || !dispatched.isEmpty() || !handlers.isEmpty() || !outcomes.isEmpty();
        }

        private void fetchAll() {
            for (TopicPartition partition : partitions) {
                List<Entry> log = logs.get(partition);
                long position = positions.get(partition);
                while (position < log.size() && core.hasRoom()) {
                    Entry entry = log.get((int) position);
                    if (!entry.gap()) {
                        assertThat(arrive(partition, position, entry, core.epochOf(partition)))
                                .as("refused while settling").isTrue();
                    }
                    position++;
                }
                positions.put(partition, position);
                core.reachedPosition(partition, position);
            }
        }
    }
}
