package io.txprocessor.exactlyonce;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Two running instances with one {@code transactional.id} (a misconfiguration: the same HOSTNAME, or one
 * {@code TRANSACTIONS_TRANSACTIONAL_ID} for a whole service): the later one's producer fences the earlier's, whose
 * next commit is refused for good. The earlier one must not limp on: it says so and exits with status 1, so that
 * the orchestrator replaces it, and nothing is completed twice or lost.
 */
@ExtendWith(SharedBroker.class)
class FencedProducerIT {

    @Test
    void anInstanceFencedByALaterOneWithTheSameTransactionalIdExitsOneAndNothingIsCompletedTwice(KafkaBroker broker) {
        Topics topics = new Topics(broker, "eos-fenced", 6);
        List<String> ids = topics.produceTransactions(2000, 400);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("TRANSACTIONS_PROCESSING_TIME", "50ms");
        env.put("TRANSACTIONS_MAX_CONCURRENCY", "16");
        Map<String, String> same = with(env, "HOSTNAME", "twin");

        try (ServiceProcess first = ServiceProcess.start("eos-fenced-first", same)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> first.metric("transactions_producer_transactions_total{result=\"committed\"}")
                            .orElse(0.0) > 0);
            try (ServiceProcess second = ServiceProcess.start("eos-fenced-second", same)) {
                assertThat(first.awaitExit(Duration.ofSeconds(60))).as("exit status of the fenced instance")
                        .isEqualTo(1);
                assertThat(first.logged(line -> line.contains("the state producer cannot go on"))).isTrue();

                await().atMost(Duration.ofSeconds(120)).until(() -> topics
                        .countByState(topics.committedStateEvents(), "COMPLETED").size() == ids.size());
                second.sigterm();
                assertThat(second.awaitExit(Duration.ofSeconds(30))).isZero();
            }
        }
        Audit audit = Audit.of(ids, topics.committedStateEvents(), 0);
        assertThat(audit.lost()).as("lost").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed more than once, read_committed").isEmpty();
    }
}
