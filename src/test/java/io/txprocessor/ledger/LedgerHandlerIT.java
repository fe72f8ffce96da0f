package io.txprocessor.ledger;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.RecordingLedger;
import io.txprocessor.testing.RecordingLedger.Ending;
import io.txprocessor.testing.RecordingLedger.Request;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * The packaged service with {@code TRANSACTIONS_HANDLER=ledger} against a real broker and a real local HTTP ledger
 * ({@link RecordingLedger}, no mock of the client): a drain aborts the ledger calls still waiting for their answer,
 * and the next owner books what was handed off, each transaction's effect once.
 */
@ExtendWith(SharedBroker.class)
class LedgerHandlerIT {

    private static final int WORKERS = 16;

    /** The service with the ledger handler, {@link #WORKERS} workers, and calls only a drain can end. */
    private static Map<String, String> ledgerEnv(Topics topics, RecordingLedger ledger) {
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_HANDLER", "ledger");
        env.put("TRANSACTIONS_MAX_CONCURRENCY", Integer.toString(WORKERS));
        env.put("LEDGER_URL", ledger.url().toString());
        // Longer than any drain: only the drain's cancellation can end a call the ledger does not answer.
        env.put("LEDGER_TIMEOUT", "5m");
        env.put("LEDGER_RETRY_BACKOFF", "50ms");
        return env;
    }

    /**
     * A process's exit closes its connections too, so a shutdown alone cannot tell an aborted call from one left
     * running: here the drain is a rebalance's, and the ledger sees the revoked records' connections closed while
     * the process that made them runs on.
     */
    @Test
    void aRebalanceDrainAbortsTheRevokedRecordsLedgerCallsWhileTheProcessRunsOn(KafkaBroker broker) {
        Topics topics = new Topics(broker, "ledger-rebalance", 6);
        // Fewer records than workers: every one of them is in a call at once, so every partition has calls in
        // flight whichever ones the rebalance takes away (with fewer workers than records, the first records handed
        // over, often all of one partition, could all stay).
        List<String> ids = topics.produceTransactions(60, 60);
        try (RecordingLedger ledger = RecordingLedger.start()) {
            Map<String, String> env = ledgerEnv(topics, ledger);
            env.put("TRANSACTIONS_MAX_CONCURRENCY", "64");
            // In-flight records of revoked partitions get 2 s, then they are cancelled.
            env.put("DRAIN_REBALANCE_TIMEOUT", "3s");
            env.put("DRAIN_HAND_OFF_RESERVE", "1s");
            ledger.answerAfter(Duration.ofHours(1));
            try (ServiceProcess first = ServiceProcess.start("ledger-rebalance-first", with(env, "HOSTNAME", "first"));
                    ServiceProcess second = startWhenAllWait(ledger, env, ids.size())) {
                // The report is logged once the drain's SUSPENDED events are acknowledged: all of them are in.
                await().atMost(Duration.ofSeconds(60)).until(() -> rebalanceReport(first).isPresent());
                int handedOff = rebalanceReport(first).orElseThrow().path("suspended").asInt();
                await().atMost(Duration.ofSeconds(10)).until(() -> wentAway(ledger).size() >= handedOff);
                assertThat(first.isAlive()).as("the first instance runs on after its rebalance drain").isTrue();
                assertThat(second.isAlive()).isTrue();
                Set<String> suspended = rebalanceSuspended(topics);
                assertThat(wentAway(ledger)).as("calls the client closed, while both instances run")
                        .containsExactlyInAnyOrderElementsOf(suspended);
                assertThat(ids).containsAll(suspended);
                System.out.printf("ledger rebalance: %d calls aborted by the rebalance drain, the process alive%n",
                        suspended.size());
            }
        }
    }

    private static ServiceProcess startWhenAllWait(RecordingLedger ledger, Map<String, String> env, int calls) {
        await().atMost(Duration.ofSeconds(60)).until(() -> ledger.waiting() == calls);
        return ServiceProcess.start("ledger-rebalance-second", with(env, "HOSTNAME", "second"));
    }

    /** The first instance's first rebalance drain that handed records off. */
    private static Optional<JsonNode> rebalanceReport(ServiceProcess service) {
        return service.drainReports().stream()
                .filter(report -> report.path("trigger").asText().equals("rebalance"))
                .filter(report -> report.path("suspended").asInt() > 0)
                .findFirst();
    }

    private static Set<String> rebalanceSuspended(Topics topics) {
        Set<String> ids = new HashSet<>();
        topics.stateEvents().stream()
                .filter(e -> e.path("state").asText().equals("SUSPENDED"))
                .filter(e -> e.path("reason").asText().equals("rebalance"))
                .forEach(e -> ids.add(e.path("id").asText()));
        return ids;
    }

    private static List<String> wentAway(RecordingLedger ledger) {
        return ledger.requests().stream()
                .filter(request -> request.ending() == Ending.CLIENT_WENT_AWAY)
                .map(Request::idempotencyKey)
                .toList();
    }

    @Test
    void aDrainAbortsSlowLedgerCallsAndTheNextOwnerCompletesTheSuspendedOnesWithOneBookingEach(KafkaBroker broker) {
        Topics topics = new Topics(broker, "ledger", 6);
        // One account per transaction: every worker gets a record at once.
        List<String> ids = topics.produceTransactions(200, 200);
        try (RecordingLedger ledger = RecordingLedger.start()) {
            Map<String, String> env = ledgerEnv(topics, ledger);
            env.put("DRAIN_GRACE_PERIOD", "10s");

            // ---- first owner: every booking is made, and its answer never comes before the drain gives up
            ledger.answerAfter(Duration.ofHours(1));
            Set<String> suspended;
            try (ServiceProcess first = ServiceProcess.start("ledger-first", with(env, "HOSTNAME", "first"))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ledger.waiting() == WORKERS);
                first.sigterm();
                assertThat(first.awaitExit(Duration.ofSeconds(15))).as("exit status").isEqualTo(1);
                System.out.printf("ledger drain: SIGTERM to exit %d ms (grace period 10000 ms)%n",
                        first.sigtermToExit().toMillis());
                assertThat(first.sigtermToExit()).as("SIGTERM to exit").isLessThan(Duration.ofSeconds(10));
                JsonNode report = first.shutdownReport().orElseThrow();
                assertThat(report.path("inFlightAtStart").asInt()).isEqualTo(WORKERS);
                assertThat(report.path("suspended").asInt()).isEqualTo(WORKERS);
                suspended = topics.countByState(topics.stateEvents(), "SUSPENDED").keySet();
            }
            assertThat(suspended).hasSize(WORKERS);
            assertThat(topics.stateEvents()).allMatch(e -> e.path("state").asText().equals("SUSPENDED"));
            await().atMost(Duration.ofSeconds(5)).until(() -> ledger.requests().size() == WORKERS);
            // The ledger saw each of those connections closed by the client, its answer never sent: the drain did
            // not wait for it (that the close is the handler's abort, not the exit's, is the rebalance test's).
            List<Request> firstRequests = ledger.requests();
            assertThat(firstRequests).as("requests of the first owner").hasSize(WORKERS)
                    .allSatisfy(request -> {
                        assertThat(request.ending()).isEqualTo(Ending.CLIENT_WENT_AWAY);
                        assertThat(request.booked()).isTrue();
                    });
            assertThat(firstRequests).extracting(Request::idempotencyKey)
                    .containsExactlyInAnyOrderElementsOf(suspended);

            // ---- second owner: a fast ledger, one transaction refused for good, one answered 503 once
            Set<String> untouched = new HashSet<>(ids);
            untouched.removeAll(suspended);
            String refused = untouched.stream().sorted().findFirst().orElseThrow();
            String unavailableOnce = untouched.stream().sorted().skip(1).findFirst().orElseThrow();
            ledger.reject(refused, 422);
            ledger.unavailableOnce(unavailableOnce, 503);
            ledger.answerAfter(Duration.ZERO);
            try (ServiceProcess second = ServiceProcess.start("ledger-second", with(env, "HOSTNAME", "second"))) {
                await().atMost(Duration.ofSeconds(120)).until(() -> {
                    List<JsonNode> events = topics.stateEvents();
                    return topics.countByState(events, "COMPLETED").size()
                            + topics.countByState(events, "FAILED").size() == ids.size();
                });
                second.sigterm();
                assertThat(second.awaitExit(Duration.ofSeconds(15))).isZero();
            }

            List<JsonNode> events = topics.stateEvents();
            Map<String, Long> completed = topics.countByState(events, "COMPLETED");
            assertThat(completed).as("completed once each").hasSize(ids.size() - 1)
                    .allSatisfy((id, count) -> assertThat(count).isOne());
            assertThat(completed.keySet()).containsAll(suspended).doesNotContain(refused);
            assertThat(events).filteredOn(e -> e.path("state").asText().equals("FAILED"))
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.path("id").asText()).isEqualTo(refused);
                        assertThat(e.path("reason").asText()).isEqualTo("ledger answered 422");
                    });

            // The ledger's view: every request keyed by its transaction id; each transaction booked once.
            assertThat(ledger.requests()).allSatisfy(
                    request -> assertThat(request.idempotencyKey()).isEqualTo(request.transactionId()));
            Map<String, Integer> bookings = ledger.bookingsByTransaction();
            assertThat(bookings.keySet()).as("booked").containsExactlyInAnyOrderElementsOf(completed.keySet());
            assertThat(bookings).as("booked once each").allSatisfy((id, count) -> assertThat(count).isOne());
            Map<String, List<Request>> byKey = ledger.requestsByKey();
            for (String id : suspended) {
                // The next owner repeated the call with the same key; the ledger answered the stored result.
                assertThat(byKey.get(id)).as("requests for %s", id).hasSize(2)
                        .extracting(Request::ending, Request::status, Request::booked)
                        .containsExactly(tuple(Ending.CLIENT_WENT_AWAY, 201, true), tuple(Ending.ANSWERED, 200, false));
            }
            assertThat(byKey.get(unavailableOnce)).as("a 503, then the retry").extracting(Request::status)
                    .containsExactly(503, 201);
            assertThat(byKey.get(refused)).as("a 422 is not retried").extracting(Request::status)
                    .containsExactly(422);
            System.out.printf("ledger drain: %d calls aborted by the drain, %d SUSPENDED, %d completed by the "
                    + "next owner (%d repeats answered from the ledger's stored result), %d bookings for %d ids%n",
                    firstRequests.size(), suspended.size(), completed.size(), suspended.size(),
                    bookings.values().stream().mapToInt(Integer::intValue).sum(), ids.size());
        }
    }
}
