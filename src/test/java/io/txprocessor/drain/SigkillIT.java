package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.txprocessor.core.OffsetMetadata;
import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * SIGKILL (the OOM killer, a grace period too short, a lost host): at least once, nothing lost, and the next owner
 * counts the records it processes again.
 */
@ExtendWith(SharedBroker.class)
class SigkillIT {

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void recordsInFlightAtAKillAreProcessedAgainByTheNextOwnerAndCountedAsRedeliveries(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "sigkill", 6);
        List<String> ids = topics.produceTransactions(300, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "1h");

        topics.useGroupProtocol(env, protocol);
        try (ServiceProcess first = ServiceProcess.start("sigkill-first", with(env, "HOSTNAME", "first"))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_in_flight").orElse(0.0) == 64.0);
            // The periodic commit carries the started records in its metadata: wait until it has all of them.
            await().atMost(Duration.ofSeconds(30)).until(() -> startedInCommits(topics) == 64);
            first.sigkill();
            first.awaitExit(Duration.ofSeconds(20));
        }
        assertThat(topics.stateEvents()).as("a killed instance publishes nothing").isEmpty();

        try (ServiceProcess second = ServiceProcess.start("sigkill-second",
                with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
            await().atMost(Duration.ofSeconds(120))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
            assertThat(second.metric("transactions_redelivered_total")).hasValue(64.0);
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(20))).isZero();
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).isEmpty();
        assertThat(audit.completedMoreThanOnce()).isEmpty();
    }

    private static int startedInCommits(Topics topics) {
        return topics.committed().values().stream()
                .mapToInt(c -> OffsetMetadata.decode(c.metadata(), c.offset()).started().size())
                .sum();
    }
}
