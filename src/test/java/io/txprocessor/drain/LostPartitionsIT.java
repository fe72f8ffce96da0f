package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Partitions lost, not revoked: an instance that stopped heartbeating for longer than the session timeout (a long GC
 * pause, a frozen VM, SIGSTOP here) has been thrown out of the group and its partitions already belong to another
 * member when it wakes up. Waiting for its work in flight would only delay the hand-off of records someone else is
 * already processing, a commit would overwrite the new owner's progress, and a SUSPENDED event would arrive after the
 * new owner's COMPLETED and stand as the last state of a finished transaction (the states topic is keyed by id): it
 * must cancel what runs, commit and publish nothing, log the hand-off, and let go at once.
 */
@ExtendWith(SharedBroker.class)
class LostPartitionsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;
    private static final int RECORDS_PER_PARTITION = 15;
    /** A revocation drain would wait this long less the hand-off reserve (4 s): unmistakable next to a loss. */
    private static final String REBALANCE_TIMEOUT = "20s";
    /** How soon after SIGCONT the loss must be handed off: about 1 s of work, with room for two busy cores. */
    private static final Duration HAND_OFF_BOUND = Duration.ofSeconds(3);
    private static final Pattern LOST = Pattern.compile("(?i)\\blost\\b");

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void anInstanceThatWakesUpAfterItsSessionExpiredHandsItsLostPartitionsOffAtOnceAndCommitsNothing(String protocol,
            KafkaBroker broker) {
        // Not "lost" in the prefix: the test looks for that word in the log lines that name the topic.
        Topics topics = new Topics(broker, "frozen", PARTITIONS);
        Map<String, String> env = topics.serviceEnv();
        env.put("DRAIN_REBALANCE_TIMEOUT", REBALANCE_TIMEOUT);
        env.put("DRAIN_GRACE_PERIOD", "10s");
        topics.useGroupProtocol(env, protocol);
        // A's handlers outlast the freeze: a timed wait that expired while the process was stopped returns at once on
        // SIGCONT, so only work longer than the freeze is still in flight when A wakes up. B is quick, so B finishes
        // everything in the end.
        Map<String, String> envA = with(with(env, "HOSTNAME", "a"), "TRANSACTIONS_PROCESSING_TIME", "1h");
        Map<String, String> envB = with(with(env, "HOSTNAME", "b"), "TRANSACTIONS_PROCESSING_TIME", "200ms");

        try (ServiceProcess a = ServiceProcess.start("frozen-a", envA)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ServiceProcess.assignedPartitions(a.lines()).size() == PARTITIONS);
            try (ServiceProcess b = ServiceProcess.start("frozen-b", envB)) {
                // Both members hold partitions before any record is written, so A's share is known.
                Set<TopicPartition> ofA = new HashSet<>(topics.awaitSplitWith(b));
                assertThat(ofA).as("A's partitions").isNotEmpty().hasSizeLessThan(PARTITIONS);
                Map<TopicPartition, List<String>> ids = produce(topics);
                Set<String> runningOnA = ofA.stream().flatMap(tp -> ids.get(tp).stream())
                        .collect(Collectors.toCollection(TreeSet::new));
                // Every record of A's partitions is on its own account, so all of them run at once on A.
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> a.metric("transactions_in_flight").orElse(0.0) == runningOnA.size());

                boolean frozen = false;
                long resumed;
                int linesAtResume;
                Map<TopicPartition, Long> beforeResume;
                try {
                    a.sigstop();
                    frozen = true;
                    // Waiting for the group to throw A out is the condition here: B alone, owning every partition.
                    await().atMost(Duration.ofSeconds(90)).until(() -> {
                        List<Set<TopicPartition>> owned = topics.memberAssignments();
                        return owned.size() == 1 && owned.get(0).size() == PARTITIONS;
                    });
                    // B redoes A's records and commits them: a commit by A from now on would go backwards.
                    await().atMost(Duration.ofSeconds(60)).until(() -> committedOffsets(topics).equals(ends(ids)));
                    beforeResume = committedOffsets(topics);
                    linesAtResume = a.lines().size();
                    resumed = System.nanoTime();
                    a.sigcont();
                    frozen = false;
                } finally {
                    if (frozen) {
                        a.sigcont(); // never leave a stopped process behind
                    }
                }

                // A's hand-off: today's revocation-style drain report, or the loss logged.
                long[] handedOff = new long[1];
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    List<String> since = since(a, linesAtResume);
                    boolean done = !lossLines(since, topics).isEmpty() || !rebalanceReports(since).isEmpty();
                    if (done) {
                        handedOff[0] = System.nanoTime();
                    }
                    return done;
                });
                Duration handOff = Duration.ofNanos(handedOff[0] - resumed);
                System.out.printf("lost partitions: SIGCONT to hand-off %d ms%n", handOff.toMillis());
                // The hand-off is logged, one line per record, instead of published.
                await().atMost(Duration.ofSeconds(30)).until(() -> unpublishedAsLost(since(a, linesAtResume))
                        .containsAll(runningOnA));
                List<String> since = since(a, linesAtResume);

                SoftAssertions softly = new SoftAssertions();
                softly.assertThat(rebalanceReports(since).stream().map(JsonNode::toString).toList())
                        .as("A's drain reports for a revocation after it woke up (a loss is not drained: nothing is"
                                + " waited for)")
                        .isEmpty();
                softly.assertThat(reports(since).stream()
                        .filter(r -> r.path("committed").size() > 0 || r.has("commitError"))
                        .map(JsonNode::toString).toList())
                        .as("A's drain reports after it woke up that committed or tried to").isEmpty();
                softly.assertThat(lossLines(since, topics)).as("A's log lines about the loss of its partitions")
                        .isNotEmpty();
                softly.assertThat(handOff).as("SIGCONT to A's hand-off of its lost partitions")
                        .isLessThanOrEqualTo(HAND_OFF_BOUND);
                softly.assertThat(suspended(topics, "a", "partitions-lost"))
                        .as("ids A published SUSPENDED for with reason partitions-lost").isEmpty();
                softly.assertThat(unpublishedAsLost(since)).as("ids A logged as handed off with the loss")
                        .isEqualTo(runningOnA);
                softly.assertThat(a.metric("drain_records_suspended_total{trigger=\"partitions-lost\"}"))
                        .as("drain_records_suspended_total{trigger=partitions-lost} of A")
                        .contains((double) runningOnA.size());
                softly.assertThat(suspended(topics, "a", "rebalance"))
                        .as("ids A suspended with reason rebalance after it woke up").isEmpty();
                // A's only work was what ran at the freeze (its handlers take an hour): after the loss it must not
                // complete anything, so no account is processed by both instances beyond that work.
                softly.assertThat(completedBy(topics, "a")).as("ids A completed after the loss").isEmpty();
                Map<TopicPartition, Long> afterHandOff = committedOffsets(topics);
                softly.assertThat(afterHandOff).as("committed offsets after A's hand-off (never backwards)")
                        .isEqualTo(beforeResume);
                softly.assertAll();

                // A runs on (with whatever it got back); its shutdown hands its long records to B, which finishes all.
                a.sigterm();
                a.awaitExit(Duration.ofSeconds(30));
                List<String> all = ids.values().stream().flatMap(List::stream).toList();
                await().atMost(Duration.ofSeconds(120)).until(
                        () -> topics.countByState(topics.stateEvents(), "COMPLETED").keySet().containsAll(all));
                b.sigterm();
                assertThat(b.awaitExit(Duration.ofSeconds(30))).as("B's exit status").isZero();
                Audit audit = Audit.of(all, topics.stateEvents(), topics.deadLetterRecords().size());
                assertThat(audit.lost()).as("ids never completed").isEmpty();
                assertThat(audit.deadLettered()).isZero();
                // What a compacted topic or a table keyed by id keeps: the last event of each id.
                assertThat(lastStates(topics).entrySet().stream().filter(e -> !"COMPLETED".equals(e.getValue()))
                        .map(e -> e.getKey() + "=" + e.getValue()).toList())
                        .as("ids whose last state event is not their final state").isEmpty();
            }
        }
    }

    /** One record per account on every partition, the partition chosen explicitly: ids per partition. */
    private static Map<TopicPartition, List<String>> produce(Topics topics) {
        Map<TopicPartition, List<String>> ids = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            int n = 0;
            for (int p = 0; p < PARTITIONS; p++) {
                List<String> ofPartition = new ArrayList<>();
                for (int r = 0; r < RECORDS_PER_PARTITION; r++, n++) {
                    String id = Topics.id(n);
                    String account = "acc-" + n;
                    ofPartition.add(id);
                    producer.send(new ProducerRecord<>(topics.input, p, utf8(account),
                            utf8(Topics.transaction(id, account))));
                }
                ids.put(new TopicPartition(topics.input, p), ofPartition);
            }
            producer.flush();
        }
        return ids;
    }

    private static Map<TopicPartition, Long> ends(Map<TopicPartition, List<String>> ids) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        ids.forEach((tp, list) -> ends.put(tp, (long) list.size()));
        return ends;
    }

    private static Map<TopicPartition, Long> committedOffsets(Topics topics) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        topics.committed().forEach((tp, offset) -> offsets.put(tp, offset.offset()));
        return offsets;
    }

    private static Set<String> completedBy(Topics topics, String instance) {
        return ids(topics, instance, "COMPLETED", null);
    }

    private static Set<String> suspended(Topics topics, String instance, String reason) {
        return ids(topics, instance, "SUSPENDED", reason);
    }

    /** Ids of the state events of {@code instance} in {@code state} (with {@code reason}, unless null). */
    private static Set<String> ids(Topics topics, String instance, String state, String reason) {
        return topics.stateEvents().stream()
                .filter(e -> state.equals(e.path("state").asText()))
                .filter(e -> instance.equals(e.path("instance").asText()))
                .filter(e -> reason == null || reason.equals(e.path("reason").asText()))
                .map(e -> e.path("id").asText())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The last state event of each id, in the topic's order: the topic is keyed by id, one partition per id. */
    private static Map<String, String> lastStates(Topics topics) {
        Map<String, String> last = new HashMap<>();
        topics.stateEvents().forEach(e -> last.put(e.path("id").asText(), e.path("state").asText()));
        return last;
    }

    /** Ids of the {@code unpublished-state} lines a loss logs: the records it handed off without a word on the topic. */
    private static Set<String> unpublishedAsLost(List<String> lines) {
        Set<String> ids = new TreeSet<>();
        for (String line : lines) {
            if (line.startsWith("{\"event\":\"unpublished-state\"") && line.contains("partitions lost")) {
                try {
                    ids.add(JSON.readTree(line).path("state").path("id").asText());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return ids;
    }

    private static List<String> since(ServiceProcess service, int from) {
        List<String> lines = service.lines();
        return lines.subList(Math.min(from, lines.size()), lines.size());
    }

    private static List<String> lossLines(List<String> lines, Topics topics) {
        return lines.stream().filter(line -> line.contains(topics.input) && LOST.matcher(line).find()).toList();
    }

    private static List<JsonNode> reports(List<String> lines) {
        List<JsonNode> reports = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("{\"event\":\"drain-report\"")) {
                try {
                    reports.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return reports;
    }

    private static List<JsonNode> rebalanceReports(List<String> lines) {
        return reports(lines).stream().filter(r -> "rebalance".equals(r.path("trigger").asText())).toList();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
