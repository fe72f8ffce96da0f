package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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
 * The hand-off of a wide window, as a user found it: one partition, a 20,000-record window (the exactly-once
 * default), the handlers of its first and last records hang (a ledger call that never returns) while the 19,998
 * between them complete; SIGTERM; a second instance takes over. The commit stops at the first record, and its
 * metadata must carry every one of the 19,998 finished offsets: the second instance processes the two hung records
 * and nothing else, in either delivery mode (exactly once, as a {@code read_committed} reader sees it).
 */
@ExtendWith(SharedBroker.class)
class WideHandOffIT {

    private static final int WINDOW = 20_000;
    private static final Duration GRACE_PERIOD = Duration.ofSeconds(10);

    @ParameterizedTest(name = "delivery={0}")
    @ValueSource(strings = {"at-least-once", "exactly-once"})
    void aHandOffOfAWideWindowCarriesEveryFinishedRecordSoTheNextOwnerCompletesNoneOfThemAgain(String delivery,
            KafkaBroker broker) {
        boolean exactlyOnce = delivery.equals("exactly-once");
        Topics topics = new Topics(broker, "wide-" + delivery, 1);
        // One account per record: they run side by side, in no particular order.
        List<String> ids = topics.produceTransactions(WINDOW, WINDOW);
        String first = ids.get(0);
        String last = ids.get(ids.size() - 1);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", delivery);
        env.put("TRANSACTIONS_MAX_PENDING_RECORDS", Integer.toString(WINDOW));
        env.put("TRANSACTIONS_PROCESSING_TIME", "0s");
        env.put("DRAIN_GRACE_PERIOD", GRACE_PERIOD.toSeconds() + "s");

        try (ServiceProcess hung = ServiceProcess.start("wide-" + delivery + "-a",
                with(with(env, "HOSTNAME", "a"), "TRANSACTIONS_SIMULATED_HANGS", first + "|" + last))) {
            await().atMost(Duration.ofSeconds(120)).until(() -> completed(topics, exactlyOnce).size() == WINDOW - 2);
            hung.sigterm();
            assertThat(hung.awaitExit(GRACE_PERIOD.plusSeconds(10))).as("exit status: two records handed off")
                    .isEqualTo(1);
            assertThat(hung.sigtermToExit()).as("SIGTERM to exit").isLessThan(GRACE_PERIOD);
        }
        OffsetAndMetadata committed = topics.committed().get(new TopicPartition(topics.input, 0));
        assertThat(committed.offset()).as("committed offset: the first, hung, record").isZero();
        System.out.printf("wide hand-off (%s): commit metadata of %d characters for %d finished records%n", delivery,
                committed.metadata().length(), WINDOW - 2);

        try (ServiceProcess next = ServiceProcess.start("wide-" + delivery + "-b", with(env, "HOSTNAME", "b"))) {
            await().atMost(Duration.ofSeconds(120)).until(() -> completed(topics, exactlyOnce).size() == WINDOW);
            await().atMost(Duration.ofSeconds(60)).until(() -> topics.committed()
                    .get(new TopicPartition(topics.input, 0)).offset() == WINDOW);
            next.sigterm();
            assertThat(next.awaitExit(Duration.ofSeconds(30))).as("the second instance's exit status").isZero();
        }
        List<JsonNode> events = exactlyOnce ? topics.committedStateEvents() : topics.stateEvents();
        List<String> completedBySecond = events.stream().filter(e -> "COMPLETED".equals(e.path("state").asText()))
                .filter(e -> "b".equals(e.path("instance").asText())).map(e -> e.path("id").asText()).toList();
        assertThat(completedBySecond).as("what the next owner completed").containsExactlyInAnyOrder(first, last);
        assertThat(completed(topics, exactlyOnce)).as("COMPLETED events per id")
                .allSatisfy((id, count) -> assertThat(count).as(id).isOne());
        Audit audit = Audit.of(ids, events, 0);
        assertThat(audit.lost()).as("ids never completed").isEmpty();
    }

    private static Map<String, Long> completed(Topics topics, boolean exactlyOnce) {
        return topics.countByState(exactlyOnce ? topics.committedStateEvents() : topics.stateEvents(), "COMPLETED");
    }
}
