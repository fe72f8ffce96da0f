package io.txprocessor.exactlyonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * An exactly-once start on a broker that has never seen a transaction: its coordinator is found only once the
 * broker has created {@code __transaction_state}, which takes longer than one {@code initTransactions} attempt may
 * block when the rebalance timeout is short ({@code max.block.ms} is half of it: 100 ms here). On CI, with 1.5 s,
 * such a start failed ("Timeout expired after 1500ms while awaiting InitProducerId"). A broker of its own: on the
 * shared one another test may have created the topic already.
 */
class FirstTransactionalStartIT {

    @Test
    void anExactlyOnceStartOnABrokerWithoutTransactionStateYetBecomesReadyAndCompletesEveryRecordOnce() {
        try (KafkaBroker broker = KafkaBroker.startLocal(Map.of())) {
            Topics topics = new Topics(broker, "eos-first-start", 3);
            List<String> ids = topics.produceTransactions(200, 100);
            Map<String, String> env = topics.serviceEnv();
            env.put("TRANSACTIONS_DELIVERY", "exactly-once");
            env.put("DRAIN_REBALANCE_TIMEOUT", "200ms");
            env.put("TRANSACTIONS_PROCESSING_TIME", "2ms");
            try (ServiceProcess service = ServiceProcess.start("eos-first-start", env)) {
                assertThat(service.logged(line -> line.contains("TXP1114"))).as("an attempt timed out and was retried"
                        + " (else this broker was quicker than 100 ms, and the test proves nothing)").isTrue();
                await().atMost(Duration.ofSeconds(120)).until(() -> topics
                        .countByState(topics.committedStateEvents(), "COMPLETED").size() == ids.size());
                service.sigterm();
                assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            Audit audit = Audit.of(ids, topics.committedStateEvents(), 0);
            assertThat(audit.lost()).as("lost").isEmpty();
            assertThat(audit.completedMoreThanOnce()).as("completed more than once, read_committed").isEmpty();
        }
    }
}
