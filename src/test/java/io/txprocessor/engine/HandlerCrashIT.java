package io.txprocessor.engine;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * A handler that throws a JVM {@code Error} (a class missing after a bad deploy, out of memory) has not failed the
 * transaction: no FAILED event, no commit past it, liveness DOWN so the orchestrator replaces the process, exit 1,
 * and the next owner processes it.
 */
@ExtendWith(SharedBroker.class)
class HandlerCrashIT {

    @Test
    void aJvmErrorInTheHandlerLeavesTheRecordForTheNextOwnerAndTurnsLivenessDown(KafkaBroker broker) {
        Topics topics = new Topics(broker, "crash", 1);
        List<String> ids = topics.produceTransactions(20, 1000);
        String crashing = ids.get(5);
        TopicPartition partition = new TopicPartition(topics.input, 0);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");

        try (ServiceProcess first = ServiceProcess.start("crash-first",
                with(with(env, "HOSTNAME", "first"), "TRANSACTIONS_SIMULATED_CRASHES", crashing))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size() - 1);
            first.awaitHealth("/q/health/live", 503, Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> first.metric("transactions_handler_crashes_total").orElse(0.0) == 1.0);
            assertThat(topics.stateEvents()).as("events for the crashed transaction")
                    .noneMatch(event -> event.path("id").asText().equals(crashing));
            assertThat(topics.committed().get(partition).offset()).as("the commit stops at the crashed record")
                    .isEqualTo(5);
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(30))).as("exit status after a crash").isEqualTo(1);
        }
        assertThat(topics.committed().get(partition).offset()).isEqualTo(5);

        try (ServiceProcess second = ServiceProcess.start("crash-second", with(env, "HOSTNAME", "second"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> topics.countByState(topics.stateEvents(), "COMPLETED")
                    .containsKey(crashing));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> topics.committed().get(partition).offset() == topics.endOffsets().get(partition));
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(30))).isZero();
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("the records after the crash were committed in metadata")
                .isEmpty();
    }
}
