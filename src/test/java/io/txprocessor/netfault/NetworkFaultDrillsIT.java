package io.txprocessor.netfault;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.CommitCoverage;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;
import io.txprocessor.testing.netlab.BrokerLink;

/**
 * The network-fault drills of {@code ./mvnw -B -Pnetfaults verify} (the link cut at SIGTERM also runs in the
 * default build: {@link LinkCutAtSigtermIT}). Each runs the service in a network namespace of its own, reaching the
 * shared broker only over the lab's link, and asserts: nothing lost (every produced id ends COMPLETED, here or at a
 * next owner outside the namespace), the exit before SIGKILL, and nothing committed past unfinished work. Each
 * prints its row of the results table.
 */
@ExtendWith(SharedBroker.class)
class NetworkFaultDrillsIT {

    /** Work that hangs until the drain cancels it: ids {@code hang-*}, produced first, on accounts of their own. */
    private static final String HANGS = "hang-.*";
    private static final int HUNG = 8;

    private static BrokerLink link;

    @BeforeAll
    static void openLink(KafkaBroker broker) {
        link = BrokerLink.open(broker);
    }

    @AfterEach
    void heal() {
        link.lab().heal();
        link.proxy().delay(Duration.ZERO);
    }

    @AfterAll
    static void closeLink() {
        if (link != null) {
            link.close();
        }
    }

    /**
     * A 100 ms round trip (the proxy holds each chunk 50 ms each way), steady load: the throughput at key-ordered
     * max-concurrency 64 and 256 (printed), each on a topic of its own, and each run's drain: the work still gets its
     * whole share of the grace period (no hung record is cancelled before G − M − R), and the hand-off that follows,
     * over the slow link, publishes every SUSPENDED event and commits before the deadline.
     */
    @Test
    void aHundredMillisecondRoundTripUnderSteadyLoadDrainsInTimeAndTheWorkKeepsItsShare(KafkaBroker broker) {
        Duration grace = Duration.ofSeconds(20);
        link.proxy().delay(Duration.ofMillis(50));
        List<String> rows = new ArrayList<>();
        for (int concurrency : new int[]{64, 256}) {
            String name = "rtt-" + concurrency;
            Topics topics = new Topics(broker, name, 6);
            Map<String, String> env = drillEnv(topics, grace);
            env.put("TRANSACTIONS_PROCESSING_TIME", "20ms");
            env.put("TRANSACTIONS_MAX_CONCURRENCY", Integer.toString(concurrency));
            List<String> ids = new ArrayList<>();
            ServiceProcess service = startWithHungInFlight(topics, name, env, ids);
            int status;
            try (service) {
                ids.addAll(topics.produceTransactions(20000, 4000));
                String completed = "transactions_processed_total{outcome=\"completed\"}";
                await().atMost(Duration.ofSeconds(60)).until(() -> service.metric(completed).orElse(0.0) >= 100);
                double before = service.metric(completed).orElseThrow();
                long start = System.nanoTime();
                // The measuring window: 10 s of completions, however many there are.
                await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ofSeconds(10))
                        .until(() -> service.metric(completed).isPresent());
                double after = service.metric(completed).orElseThrow();
                double perSecond = (after - before) / ((System.nanoTime() - start) / 1e9);
                assertThat(perSecond).as("records/s at max-concurrency %d over the slow link", concurrency)
                        .isPositive();
                service.sigterm();
                status = service.awaitExit(grace.plusSeconds(10));
                assertThat(status).as("exit status: the hung records handed off").isEqualTo(1);
                assertThat(service.sigtermToExit()).as("SIGTERM to exit").isLessThan(grace);
                JsonNode report = service.shutdownReport().orElseThrow();
                JsonNode reserve = report.path("handOffReserve");
                assertThat(reserve.path("acknowledgements").path("p99Ms").asDouble())
                        .as("acknowledgements measured over the slow link: " + reserve).isGreaterThanOrEqualTo(100);
                assertThat(reserve.path("reserveMs").asLong()).as("the auto reserve, grown from its 400 ms floor")
                        .isGreaterThan(400);
                assertThat(reserve.path("workMs").asLong()).as("the work still gets most of the grace period")
                        .isGreaterThanOrEqualTo(grace.toMillis() * 3 / 4);
                assertThat(report.path("suspended").asInt()).as("records handed off, the hung ones among them")
                        .isGreaterThanOrEqualTo(HUNG);
                assertThat(report.path("unpublished").asInt()).as("SUSPENDED events the slow link did not carry")
                        .isZero();
                assertThat(report.has("commitError")).as("the commit over the slow link failed: " + report)
                        .isFalse();
                rows.add(String.format("key-ordered %d: %.0f records/s", concurrency, perSecond));
            }
            CommitCoverage.assertNothingCommittedPastUnfinished(topics, Drills.finished(topics.stateEvents()));
            Drills.nextOwnerCompletesEverything(topics, env, ids, name + "-next");
            Audit audit = assertNoneLost(topics, ids);
            Drills.printRow("100 ms RTT, max-concurrency " + concurrency, service, status, grace, audit,
                    Drills.command("NetworkFaultDrillsIT#aHundred*"));
        }
        assertThat(link.proxy().heldChunks()).as("chunks the proxy held back").isPositive();
        System.out.println("netfault throughput at a 100 ms round trip (" + HUNG + " workers held by hung records): "
                + String.join("; ", rows));
    }

    /** 5 % of the packets between the service and the broker dropped, each way, from just before SIGTERM. */
    @Test
    void fivePercentPacketLossDuringADrainLosesNothingAndExitsInTime(KafkaBroker broker) {
        Duration grace = Duration.ofSeconds(12);
        drillUnder("5 % packet loss", broker, grace, () -> link.lab().loss(5), false,
                Drills.command("NetworkFaultDrillsIT#fivePercent*"));
    }

    /**
     * Only what the broker sends is dropped (a half-open connection: the service's requests arrive, nothing comes
     * back), from just before SIGTERM: the service cannot tell what the broker took, so it must count none of it.
     */
    @Test
    void aHalfOpenConnectionDuringADrainLosesNothingAndExitsInTime(KafkaBroker broker) {
        Duration grace = Duration.ofSeconds(12);
        drillUnder("half open (broker to service dropped)", broker, grace, () -> link.lab().dropBrokerToService(),
                true, Drills.command("NetworkFaultDrillsIT#aHalfOpen*"));
    }

    /**
     * Exactly once: instance A (in the namespace) and B (outside) share the partitions; A's link is cut for twice
     * the session timeout while its work runs, so the group moves on to B alone, then healed. A is fenced (its
     * membership is gone) and hands off what it held; B completes it; the group's commits never go backwards; a
     * read_committed reader sees every id COMPLETED exactly once.
     */
    @Test
    void theLinkCutForTwiceTheSessionTimeoutThenHealedFencesTheMemberWhichHandsOffAndNothingIsVisibleTwice(
            KafkaBroker broker) {
        Duration grace = Duration.ofSeconds(12);
        Duration session = Duration.ofSeconds(6);
        Topics topics = new Topics(broker, "fenced", 4);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("DRAIN_GRACE_PERIOD", grace.toSeconds() + "s");
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", Long.toString(session.toMillis()));
        // A's records take 1.5-4.5 s each, so the cut finds work running and outcomes in its open transaction.
        Map<String, String> envA = with(with(with(env, "HOSTNAME", "fenced-a"), "TRANSACTIONS_PROCESSING_TIME",
                "1500ms"), "TRANSACTIONS_PROCESSING_TIME_JITTER", "3s");
        Map<String, String> envB = with(with(env, "HOSTNAME", "fenced-b"), "TRANSACTIONS_PROCESSING_TIME", "20ms");
        List<String> ids;
        int exitA;
        ServiceProcess a = link.startInside("fenced-a", envA);
        try (CommitWatch commits = new CommitWatch(topics); a) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> ServiceProcess.assignedPartitions(a.lines()).size() == 4);
            try (ServiceProcess b = ServiceProcess.start("fenced-b", envB)) {
                assertThat(topics.awaitSplitWith(b)).as("A's partitions").isNotEmpty().hasSizeLessThan(4);
                ids = topics.produceTransactions(300, 300);
                await().atMost(Duration.ofSeconds(60)).until(() -> a.metric("transactions_in_flight").orElse(0.0) > 0
                        && a.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) > 0);

                link.lab().cut();
                long cutAt = System.nanoTime();
                await("B alone owns every partition").atMost(Duration.ofSeconds(60)).until(() -> {
                    List<Set<TopicPartition>> owned = topics.memberAssignments();
                    return owned.size() == 1 && owned.get(0).size() == 4;
                });
                // The fault's length is the drill's parameter: twice the session timeout from the cut.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> System.nanoTime() - cutAt >= session.multipliedBy(2).toNanos());
                int linesAtHeal = a.lines().size();
                assertThat(link.lab().droppedPackets()).as("packets the cut dropped").isPositive();
                link.lab().heal();

                await("A logs its hand-off: the loss, or a rebalance drain").atMost(Duration.ofSeconds(60))
                        .until(() -> a.lines().subList(linesAtHeal, a.lines().size()).stream()
                                .anyMatch(line -> line.contains("TXP1009")
                                        || line.startsWith("{\"event\":\"drain-report\"")
                                                && line.contains("\"trigger\":\"rebalance\"")));
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                        .until(() -> Audit.of(ids, topics.committedStateEvents(), 0).lost().isEmpty());
                a.sigterm();
                exitA = a.awaitExit(grace.plusSeconds(10));
                assertThat(a.sigtermToExit()).as("A's SIGTERM to exit").isLessThan(grace);
                b.sigterm();
                assertThat(b.awaitExit(grace.plusSeconds(10))).as("B's exit status").isZero();
                assertThat(b.sigtermToExit()).as("B's SIGTERM to exit").isLessThan(grace);
            }
            assertThat(commits.partitionsSeen()).as("partitions whose commits were watched").isEqualTo(4);
            assertThat(commits.backwards()).as("commits that went backwards").isEmpty();
        }
        Audit audit = Audit.of(ids, topics.committedStateEvents(), 0);
        assertThat(audit.lost()).as("lost (read_committed)").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("ids a read_committed reader sees COMPLETED twice").isEmpty();
        CommitCoverage.assertNothingCommittedPastUnfinished(topics, Drills.finished(topics.committedStateEvents()));
        Drills.printRow("link cut for 2 x session timeout, healed (exactly once)", a, exitA, grace, audit,
                Drills.command("NetworkFaultDrillsIT#theLinkCut*"));
    }

    /**
     * The shared course of the lossy and half-open drills: quick work behind {@value #HUNG} hung records, the fault
     * from just before SIGTERM, exit 1 (the hung ones handed off) before SIGKILL, nothing committed past unfinished
     * work; a next owner outside the namespace completes everything. With {@code noAcks} (nothing the broker sends
     * arrives), every hung record's SUSPENDED event must be logged as unpublished: the service cannot know the broker
     * took it.
     */
    private static void drillUnder(String fault, KafkaBroker broker, Duration grace, Runnable breakTheLink,
            boolean noAcks, String command) {
        String name = noAcks ? "half-open" : "loss";
        Topics topics = new Topics(broker, name, 6);
        Map<String, String> env = drillEnv(topics, grace);
        env.put("TRANSACTIONS_PROCESSING_TIME", "50ms");
        List<String> ids = new ArrayList<>();
        ServiceProcess service = startWithHungInFlight(topics, name + "-first", env, ids);
        int status;
        try (service) {
            ids.addAll(topics.produceTransactions(2000, 400));
            await().atMost(Duration.ofSeconds(60)).until(() -> service
                    .metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) >= 300);
            breakTheLink.run();
            service.sigterm();
            status = service.awaitExit(grace.plusSeconds(10));
            assertThat(status).as("exit status: the hung records handed off").isEqualTo(1);
            assertThat(service.sigtermToExit()).as("SIGTERM to exit").isLessThan(grace);
            assertThat(link.lab().droppedPackets()).as("packets the fault dropped").isPositive();
            if (noAcks) {
                assertThat(Drills.unpublishedSuspended(service)).as("SUSPENDED events logged as unpublished")
                        .hasSize(HUNG);
            }
        }
        CommitCoverage.assertNothingCommittedPastUnfinished(topics, Drills.finished(topics.stateEvents()));
        link.lab().heal();
        Drills.nextOwnerCompletesEverything(topics, env, ids, name + "-next");
        Audit audit = assertNoneLost(topics, ids);
        CommitCoverage.assertNothingCommittedPastUnfinished(topics, Drills.finished(topics.stateEvents()));
        Drills.printRow(fault, service, status, grace, audit, command);
    }

    /**
     * Writes {@value #HUNG} transactions that hang ({@code hang-0}…, each on an account of its own; added to
     * {@code ids}), starts the service in the namespace and returns it once all of them run: only then does the
     * drill write the quick work, so every drain has exactly these to hand off.
     */
    private static ServiceProcess startWithHungInFlight(Topics topics, String name, Map<String, String> env,
            List<String> ids) {
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int i = 0; i < HUNG; i++) {
                String id = "hang-" + i;
                ids.add(id);
                producer.send(new ProducerRecord<>(topics.input, utf8("hang-acc-" + i),
                        utf8(Topics.transaction(id, "hang-acc-" + i))));
            }
            producer.flush();
        }
        ServiceProcess service = link.startInside(name, with(env, "HOSTNAME", name));
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> service.metric("transactions_in_flight").orElse(0.0) == HUNG);
            return service;
        } catch (RuntimeException | AssertionError e) {
            service.close();
            throw e;
        }
    }

    private static Map<String, String> drillEnv(Topics topics, Duration grace) {
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_SIMULATED_HANGS", HANGS);
        env.put("DRAIN_GRACE_PERIOD", grace.toSeconds() + "s");
        // A member that cannot leave the group (a cut link) holds its partitions until its session expires: the
        // broker's shortest keeps the next owner's wait short.
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "6000");
        return env;
    }

    private static Audit assertNoneLost(Topics topics, List<String> ids) {
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).as("lost").isEmpty();
        return audit;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
