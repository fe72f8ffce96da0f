package io.txprocessor.exactlyonce;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * A zombie in exactly-once mode: instance A, frozen (SIGSTOP, as in a long GC pause or a frozen VM) past its session
 * timeout with a producer transaction open, is thrown out of the group; B takes A's partitions over and completes
 * A's records; then A wakes up (SIGCONT) and carries on where it stopped: its handlers finish, it writes their
 * outcomes, it tries to commit. The group generation has moved on, so that commit is refused and A's transaction is
 * aborted: nothing A wrote after the freeze may ever become visible to read_committed readers, and no id may be
 * visible as COMPLETED twice (A's outcomes of the records B redid).
 *
 * <p>
 * The transaction timeout is 60 s, longer than the whole freeze and the wait after it: only A's refused commit can
 * end its transaction in time, not the broker's timeout. (Were it shorter than the freeze, the broker would abort the
 * transaction while A is frozen, and A's commit on waking would never be tried.)
 *
 * <p>
 * Under both group protocols: the check that refuses the zombie's commit differs (the generation under
 * {@code classic}, the member epoch under {@code consumer}, KIP-848); {@link Topics#useGroupProtocol} sets the group's
 * session timeout for the latter as LostPartitionsIT does.
 */
@ExtendWith(SharedBroker.class)
class ZombieInstanceIT {

    private static final int PARTITIONS = 4;
    private static final int RECORDS_PER_PARTITION = 50;
    private static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(60);
    /**
     * From SIGCONT until read_committed readers get past what A had written: A's next commit attempt (at most a commit
     * interval, 1 s, after it wakes up) is refused and it aborts; room for two busy cores, and far less than the
     * broker's own abort after the 60 s timeout.
     */
    private static final Duration RELEASE_BOUND = Duration.ofSeconds(20);

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void aZombieAbortsItsTransactionOnWakingUpSoNothingItPublishedAfterTheFreezeIsVisibleAndNoIdIsCompletedTwice(
            String protocol, KafkaBroker broker) {
        Topics topics = new Topics(broker, "eos-zombie", PARTITIONS);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("TRANSACTIONS_TRANSACTION_TIMEOUT", TRANSACTION_TIMEOUT.toSeconds() + "s");
        env.put("DRAIN_GRACE_PERIOD", "10s");
        topics.useGroupProtocol(env, protocol);
        // A's records take 1.5-4.5 s each, all at once (one account each): when A has committed some, others are done
        // and in its open transaction, and most still run; those finish the moment A wakes up (a timed wait that
        // expired while the process was stopped returns at once on SIGCONT). B is quick.
        Map<String, String> envA = with(with(with(env, "HOSTNAME", "a"), "TRANSACTIONS_PROCESSING_TIME", "1500ms"),
                "TRANSACTIONS_PROCESSING_TIME_JITTER", "3s");
        Map<String, String> envB = with(with(env, "HOSTNAME", "b"), "TRANSACTIONS_PROCESSING_TIME", "20ms");

        Instant stoppedAt;
        Duration release;
        int exitA;
        List<String> ids;
        try (StatesTopicWatch watch = new StatesTopicWatch(topics);
                ServiceProcess a = ServiceProcess.start("eos-zombie-a", envA)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ServiceProcess.assignedPartitions(a.lines()).size() == PARTITIONS);
            try (ServiceProcess b = ServiceProcess.start("eos-zombie-b", envB)) {
                // Both members hold partitions before any record is written, so A's share is known.
                List<TopicPartition> ofA = topics.awaitSplitWith(b);
                assertThat(ofA).as("A's partitions").isNotEmpty().hasSizeLessThan(PARTITIONS);
                // Only A's partitions get records: every outcome on the states topic until the freeze is A's, so an
                // open transaction there is A's.
                ids = produce(topics, ofA);

                await("A has committed outcomes and has work running").atMost(Duration.ofSeconds(60))
                        .until(() -> !visibleOf(topics, "a").isEmpty()
                                && a.metric("transactions_in_flight").orElse(0.0) > 0);
                // Freeze just after a commit, once the next transaction holds outcomes: the next commit is a whole
                // commit interval (1 s) away, so A freezes with its transaction open, not being committed.
                Map<TopicPartition, Long> now = watch.written();
                await("a commit by A, then its next transaction holding outcomes").atMost(Duration.ofSeconds(10))
                        .pollInSameThread().pollInterval(Duration.ofMillis(10))
                        .until(() -> watch.readablePast(now) && !watch.heldBack().isEmpty());

                boolean frozen = false;
                Map<TopicPartition, Long> writtenAtResume;
                long resumed;
                try {
                    a.sigstop();
                    frozen = true;
                    // After kill returned: A is stopped, and whatever it stamps later is stamped after SIGCONT.
                    stoppedAt = Instant.now();
                    // The group throws A out: B alone, owning every partition.
                    await().atMost(Duration.ofSeconds(90)).until(() -> {
                        List<Set<TopicPartition>> owned = topics.memberAssignments();
                        return owned.size() == 1 && owned.get(0).size() == PARTITIONS;
                    });
                    // B redoes A's unfinished records and commits them (with their offsets, in its own transactions).
                    // Its outcomes stay invisible behind A's open transaction; its offsets do not. (Unless A's open
                    // transaction already holds offsets of these partitions: B cannot even read where to start until
                    // that transaction ends, UNSTABLE_OFFSET_COMMIT, and this wait fails.)
                    await("B's commits reach the end of A's partitions").atMost(Duration.ofSeconds(60))
                            .until(() -> committedToTheEnd(topics, ofA));
                    // The zombie this test is about: A's transaction is still open (the 60 s timeout is not over).
                    assertThat(watch.heldBack()).as("states partitions A's open transaction holds back before SIGCONT")
                            .isNotEmpty();
                    writtenAtResume = watch.written();
                    resumed = System.nanoTime();
                    a.sigcont();
                    frozen = false;
                } finally {
                    if (frozen) {
                        a.sigcont(); // never leave a stopped process behind
                    }
                }

                release = watch.awaitReadablePast(writtenAtResume, resumed, RELEASE_BOUND);
                List<String> all = ids;
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> topics.countByState(topics.committedStateEvents(), "COMPLETED").keySet()
                                .containsAll(all));
                // A exits, or rejoins the group with nothing left to do: stop it either way, then B.
                a.sigterm();
                exitA = a.awaitExit(Duration.ofSeconds(30));
                b.sigterm();
                assertThat(b.awaitExit(Duration.ofSeconds(30))).as("B's exit status").isZero();
            }
        }

        List<JsonNode> visible = topics.committedStateEvents();
        List<JsonNode> written = topics.stateEvents();
        Audit audit = Audit.of(ids, visible, topics.committedDeadLetterRecords().size());
        Audit uncommitted = Audit.of(ids, written, topics.deadLetterRecords().size());
        List<String> visibleAfterFreeze = after(visible, "a", stoppedAt);
        System.out.printf("zombie: read_committed readers released %d ms after SIGCONT (transaction timeout %d ms);"
                + " A's exit status %d; A's events stamped after the freeze: %d written, %d visible; A's visible"
                + " events: %d; ids COMPLETED more than once: %d read_uncommitted, %d read_committed%n",
                release.toMillis(), TRANSACTION_TIMEOUT.toMillis(), exitA, after(written, "a", stoppedAt).size(),
                visibleAfterFreeze.size(), of(visible, "a").size(), uncommitted.completedMoreThanOnce().size(),
                audit.completedMoreThanOnce().size());
        assertThat(visibleAfterFreeze)
                .as("A's events visible to read_committed readers, stamped after the freeze at %s",
                        stoppedAt)
                .isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("ids a read_committed reader sees COMPLETED more than once")
                .isEmpty();
        assertThat(audit.lost()).as("ids with no outcome a read_committed reader sees").isEmpty();
    }

    /** One record per account on each of the given partitions, the partition chosen explicitly; returns the ids. */
    private static List<String> produce(Topics topics, List<TopicPartition> partitions) {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            int n = 0;
            for (TopicPartition partition : partitions) {
                for (int r = 0; r < RECORDS_PER_PARTITION; r++, n++) {
                    String id = Topics.id(n);
                    String account = "acc-" + n;
                    ids.add(id);
                    producer.send(new ProducerRecord<>(topics.input, partition.partition(), utf8(account),
                            utf8(Topics.transaction(id, account))));
                }
            }
            producer.flush();
        }
        return ids;
    }

    /** Whether the group's committed offsets of {@code partitions} are at their ends (every record handed off). */
    private static boolean committedToTheEnd(Topics topics, List<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> committed = topics.committed();
        return partitions.stream().allMatch(
                tp -> committed.get(tp) != null && committed.get(tp).offset() == RECORDS_PER_PARTITION);
    }

    private static Set<String> visibleOf(Topics topics, String instance) {
        Set<String> ids = new HashSet<>();
        of(topics.committedStateEvents(), instance).forEach(e -> ids.add(e.path("id").asText()));
        return ids;
    }

    private static List<JsonNode> of(List<JsonNode> events, String instance) {
        return events.stream().filter(e -> instance.equals(e.path("instance").asText())).toList();
    }

    /** The events of {@code instance} stamped ({@code at}) after {@code instant}, briefly. */
    private static List<String> after(List<JsonNode> events, String instance, Instant instant) {
        return of(events, instance).stream()
                .filter(e -> Instant.parse(e.path("at").asText()).isAfter(instant))
                .map(e -> e.path("state").asText() + " " + e.path("id").asText() + " at " + e.path("at").asText())
                .toList();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
