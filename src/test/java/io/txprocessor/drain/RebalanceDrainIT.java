package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.core.OffsetMetadata;
import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Partitions changing hands while instances run: a new instance joining (as in a rolling deploy) and an instance
 * leaving on SIGTERM.
 */
@ExtendWith(SharedBroker.class)
class RebalanceDrainIT {

    private static final int PARTITIONS = 6;
    /** The offset of each partition's hanging record; the quick ones before it finish first. */
    private static final int HANG_AT = 3;
    /** Quick records after the hanging one, on their own accounts: they finish past it. */
    private static final int AFTER_HANG = 2;
    /** Hung records are cancelled at this less the hand-off reserve (4 s). */
    private static final long REBALANCE_TIMEOUT_MS = 6_000;

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void revokedPartitionsAreDrainedWhileTheOthersKeepFlowingAndNothingIsCompletedTwice(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "rebalance", PARTITIONS);
        // Every partition: three quick records, one that hangs until a drain cancels it, two quick ones after it (on
        // their own accounts, so they finish past the hung one). Whichever partitions the rebalance takes away,
        // each has a record in flight and finished records on both sides of it.
        List<String> all = new ArrayList<>(produce(topics, 0).values().stream().flatMap(List::stream).toList());
        Map<String, String> env = topics.serviceEnv();
        env.put("DRAIN_GRACE_PERIOD", "15s");
        env.put("DRAIN_REBALANCE_TIMEOUT", REBALANCE_TIMEOUT_MS + "ms");
        env.put("TRANSACTIONS_PROCESSING_TIME", "50ms");
        // Both instances hang on the same records, so the revoked partitions' committed offsets stay where the
        // revocation drain put them while the test reads them (the second instance cannot finish them either).
        env.put("TRANSACTIONS_SIMULATED_HANGS", "hang-.*");
        topics.useGroupProtocol(env, protocol);

        try (ServiceProcess first = ServiceProcess.start("rebalance-first", with(env, "HOSTNAME", "first"))) {
            // Before the second instance joins: every quick record finished and every hung one in flight, on all
            // partitions, and the group's only member owns them all.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_in_flight").orElse(0.0) == PARTITIONS
                            && first.metric("transactions_processed_total{outcome=\"completed\"}")
                                    .orElse(0.0) == PARTITIONS * (HANG_AT + AFTER_HANG));
            Map<String, Set<Integer>> before = assignments(topics);
            assertThat(before).as("the group's members and their partitions before the second joins").hasSize(1);
            String firstMember = before.keySet().iterator().next();
            assertThat(before.get(firstMember)).as("the first member's partitions before the second joins")
                    .hasSize(PARTITIONS);

            try (ServiceProcess second = ServiceProcess.start("rebalance-second", with(env, "HOSTNAME", "second"))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> rebalanceReport(first) != null);
                // Read at once: the second instance cannot move these offsets (it hangs on the same records).
                Map<TopicPartition, OffsetAndMetadata> committed = topics.committed();
                JsonNode rebalance = rebalanceReport(first);
                Instant drained = Instant.parse(rebalance.path("started").asText())
                        .plusMillis(rebalance.path("durationMs").asLong());
                // The revoked partitions as the group coordinator has them: the first member's before, less after.
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    Map<String, Set<Integer>> now = assignments(topics);
                    return now.size() == 2 && now.values().stream().noneMatch(Set::isEmpty)
                            && now.values().stream().mapToInt(Set::size).sum() == PARTITIONS;
                });
                Set<Integer> kept = assignments(topics).get(firstMember);
                assertThat(kept).as("the first member (%s) is still in the group", firstMember).isNotNull();
                Set<Integer> revoked = new TreeSet<>(before.get(firstMember));
                revoked.removeAll(kept);
                assertThat(revoked).as("partitions revoked from the first member").isNotEmpty()
                        .hasSizeLessThan(PARTITIONS);

                assertThat(reportedPartitions(rebalance)).as("partitions the revocation drain committed")
                        .isEqualTo(revoked);
                assertThat(rebalance.path("inFlightAtStart").asInt()).as("records in flight on the revoked partitions")
                        .isEqualTo(revoked.size());
                assertThat(rebalance.path("suspended").asInt()).as("records the revocation drain handed off")
                        .isEqualTo(revoked.size());
                assertThat(rebalance.path("durationMs").asLong()).as("revocation drain bounded by its timeout")
                        .isLessThanOrEqualTo(REBALANCE_TIMEOUT_MS);

                List<JsonNode> events = topics.stateEvents();
                Map<Integer, List<Long>> suspendedOnRevocation = new TreeMap<>();
                for (JsonNode event : events) {
                    if (event.path("instance").asText().equals("first")
                            && event.path("state").asText().equals("SUSPENDED")) {
                        assertThat(event.path("reason").asText()).as("reason of %s", event).isEqualTo("rebalance");
                        suspendedOnRevocation.computeIfAbsent(event.path("partition").asInt(), p -> new ArrayList<>())
                                .add(event.path("offset").asLong());
                    }
                }
                Map<Integer, List<Long>> expected = new TreeMap<>();
                revoked.forEach(p -> expected.put(p, List.of((long) HANG_AT)));
                assertThat(suspendedOnRevocation)
                        .as("offsets SUSPENDED by the first instance, per partition (revoked: the hung record;"
                                + " kept: none)")
                        .isEqualTo(expected);

                // The revocation commit, offset by offset: exactly up to the hung record; everything below it
                // COMPLETED; everything finished past it carried in the metadata, so the next owner skips it.
                for (int p : revoked) {
                    TopicPartition partition = new TopicPartition(topics.input, p);
                    OffsetAndMetadata commit = committed.get(partition);
                    assertThat(commit).as("commit of revoked %s", partition).isNotNull();
                    assertThat(commit.offset()).as("committed offset of revoked %s: its first unfinished record",
                            partition).isEqualTo((long) HANG_AT);
                    assertThat(rebalance.path("committed").path(partition.toString()).asLong())
                            .as("the drain report's commit of %s", partition).isEqualTo((long) HANG_AT);
                    for (long o = 0; o < commit.offset(); o++) {
                        assertThat(statesAt(events, p, o)).as("states of offset %d of %s, below the commit", o,
                                partition).containsExactly("COMPLETED");
                    }
                    assertThat(statesAt(events, p, HANG_AT)).as("states of the committed offset of %s", partition)
                            .containsExactly("SUSPENDED");
                    Set<Long> finishedPast = new TreeSet<>();
                    for (long o = HANG_AT + 1; o <= HANG_AT + AFTER_HANG; o++) {
                        assertThat(statesAt(events, p, o)).as("states of offset %d of %s", o, partition)
                                .containsExactly("COMPLETED");
                        finishedPast.add(o);
                    }
                    assertThat(OffsetMetadata.decode(commit.metadata(), commit.offset()).finished())
                            .as("finished offsets of %s past the commit, in its metadata", partition)
                            .isEqualTo(finishedPast);
                }
                // The kept partitions' hung records are still running on the first instance.
                assertThat(first.metric("transactions_in_flight").orElse(-1.0))
                        .as("records in flight on the first instance after the revocation drain")
                        .isEqualTo((double) kept.size());

                // The partitions that stayed keep flowing on the first instance after the revocation drain.
                Map<Integer, List<String>> later = produce(topics, 1);
                Set<String> laterOnKept = new TreeSet<>();
                kept.forEach(p -> laterOnKept.addAll(later.get(p)));
                await().atMost(Duration.ofSeconds(60)).until(() -> topics.stateEvents().stream()
                        .filter(e -> e.path("instance").asText().equals("first")
                                && e.path("state").asText().equals("COMPLETED")
                                && Instant.parse(e.path("at").asText()).isAfter(drained))
                        .map(e -> e.path("id").asText()).collect(Collectors.toSet()).containsAll(laterOnKept));
                later.values().forEach(all::addAll);
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(20));
            }
            first.sigterm();
            first.awaitExit(Duration.ofSeconds(20));
        }

        // A third instance that does not hang finishes everything; then the audit of every id.
        Map<String, String> fast = new HashMap<>(with(env, "HOSTNAME", "third"));
        fast.remove("TRANSACTIONS_SIMULATED_HANGS");
        try (ServiceProcess third = ServiceProcess.start("rebalance-third", fast)) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == all.size());
            third.sigterm();
            assertThat(third.awaitExit(Duration.ofSeconds(20))).isZero();
        }
        Audit audit = Audit.of(all, topics.stateEvents(), 0);
        assertThat(audit.lost()).isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed twice after SIGTERM and rebalance hand-offs")
                .isEmpty();
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void onSigtermTheConsumerLeavesTheGroupSoItsPartitionsMoveAtOnce(String protocol, KafkaBroker broker) {
        Topics topics = new Topics(broker, "leave", 6);
        topics.produceTransactions(200, 100);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        // Without a LeaveGroup, the partitions would wait for the session timeout: make that unmistakable.
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "45000");
        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("leave-first", with(env, "HOSTNAME", "first"));
                ServiceProcess second = ServiceProcess.start("leave-second", with(env, "HOSTNAME", "second"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !ServiceProcess.assignedPartitions(first.lines()).isEmpty()
                            && !ServiceProcess.assignedPartitions(second.lines()).isEmpty());
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(30))).isZero();
            long exited = System.nanoTime();
            await().atMost(Duration.ofSeconds(40))
                    .until(() -> ServiceProcess.assignedPartitions(second.lines()).size() == 6);
            assertThat(Duration.ofNanos(System.nanoTime() - exited)).isLessThan(Duration.ofSeconds(15));
            second.sigterm();
            second.awaitExit(Duration.ofSeconds(30));
        }
    }

    /**
     * Writes records to every partition explicitly, each on its own account. Round 0: offsets 0 to 2 quick,
     * {@link #HANG_AT} hanging, then {@link #AFTER_HANG} quick; any later round: one quick record. Ids per partition.
     */
    private static Map<Integer, List<String>> produce(Topics topics, int round) {
        Map<Integer, List<String>> ids = new TreeMap<>();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int p = 0; p < PARTITIONS; p++) {
                List<String> ofPartition = new ArrayList<>();
                int count = round == 0 ? HANG_AT + 1 + AFTER_HANG : 1;
                for (int o = 0; o < count; o++) {
                    String id = (round == 0 && o == HANG_AT ? "hang-" : "tx-r" + round + "-") + "p" + p + "-" + o;
                    ofPartition.add(id);
                    producer.send(new ProducerRecord<>(topics.input, p, utf8("acc-" + id),
                            utf8(Topics.transaction(id, "acc-" + id))));
                }
                ids.put(p, ofPartition);
            }
            producer.flush();
        }
        return ids;
    }

    /** Each member of the group (by member id) and the input partitions the group coordinator gives it. */
    private static Map<String, Set<Integer>> assignments(Topics topics) {
        try (Admin admin = topics.admin()) {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(topics.group)).describedGroups()
                    .get(topics.group).get(15, TimeUnit.SECONDS);
            Map<String, Set<Integer>> owned = new HashMap<>();
            for (MemberDescription member : group.members()) {
                owned.put(member.consumerId(), member.assignment().topicPartitions().stream()
                        .filter(tp -> tp.topic().equals(topics.input)).map(TopicPartition::partition)
                        .collect(Collectors.toCollection(TreeSet::new)));
            }
            return owned;
        } catch (Exception e) {
            throw new AssertionError("could not describe group " + topics.group, e);
        }
    }

    /** The states of every event for one input offset, in topic order. */
    private static List<String> statesAt(List<JsonNode> events, int partition, long offset) {
        return events.stream()
                .filter(e -> e.path("partition").asInt() == partition && e.path("offset").asLong() == offset)
                .map(e -> e.path("state").asText()).toList();
    }

    /** The partitions a drain report names in its commit. */
    private static Set<Integer> reportedPartitions(JsonNode report) {
        Set<Integer> partitions = new TreeSet<>();
        report.path("committed").fieldNames()
                .forEachRemaining(p -> partitions.add(Integer.parseInt(p.substring(p.lastIndexOf('-') + 1))));
        return partitions;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode rebalanceReport(ServiceProcess service) {
        return service.drainReports().stream()
                .filter(r -> r.path("trigger").asText().equals("rebalance"))
                .findFirst()
                .orElse(null);
    }
}
