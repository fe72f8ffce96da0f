package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.txprocessor.core.OffsetMetadata;
import io.txprocessor.testing.Audit;
import io.txprocessor.testing.CpuLoad;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.Topics;

/**
 * Broker faults, each on a broker of its own (the test hangs or restarts it): hung when SIGTERM arrives, and
 * restarted while the service runs.
 */
class BrokerFaultIT {

    /**
     * On a host whose CPU others take (four spinning threads here: two cores busy twice over), the hand-off's own
     * work, cancelling 64 handlers and writing a line for each event the broker did not take, takes several times
     * what it takes on idle cores. It must still end before the process does: a halt in the middle of those lines
     * loses the only record of the records handed off.
     */
    @Test
    void aHungBrokerAtSigtermStillLetsTheProcessExitInTimeAndTheSuspendedEventsAreLogged() {
        try (KafkaBroker broker = KafkaBroker.startLocal(Map.of())) {
            Topics topics = new Topics(broker, "hung-broker", 6);
            List<String> ids = topics.produceTransactions(300, 1000);
            Map<String, String> env = topics.serviceEnv();
            env.put("TRANSACTIONS_PROCESSING_TIME", "1h");
            env.put("DRAIN_GRACE_PERIOD", "12s");
            env.put("TRANSACTIONS_PUBLISH_TIMEOUT", "2s");
            try (ServiceProcess first = ServiceProcess.start("hung-broker-first", with(env, "HOSTNAME", "first"))) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> first.metric("transactions_in_flight").orElse(0.0) == 64.0);
                broker.hang();
                try (CpuLoad load = CpuLoad.start(4)) {
                    first.sigterm();
                    assertThat(first.awaitExit(Duration.ofSeconds(15))).as("exit status").isEqualTo(1);
                    assertThat(first.sigtermToExit()).isLessThan(Duration.ofSeconds(12));
                } finally {
                    broker.resume();
                }
                assertThat(first.shutdownReport()).as("the drain report").isPresent();
                long unpublished = first.lines().stream()
                        .filter(line -> line.startsWith("{\"event\":\"unpublished-state\""))
                        .filter(line -> line.contains("\"state\":\"SUSPENDED\""))
                        .count();
                assertThat(unpublished).as("SUSPENDED events logged because the broker did not take them")
                        .isEqualTo(64);
                // A commit sent before the broker froze may still land when it thaws; none may pass a suspended
                // record (nothing finished: every offset is unfinished) or claim one finished.
                topics.committed().forEach((partition, commit) -> {
                    assertThat(commit.offset()).as("commit of %s", partition).isZero();
                    assertThat(OffsetMetadata.decode(commit.metadata(), commit.offset()).finished()).isEmpty();
                });
            }
            try (ServiceProcess second = ServiceProcess.start("hung-broker-second",
                    with(with(env, "HOSTNAME", "second"), "TRANSACTIONS_PROCESSING_TIME", "2ms"))) {
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == ids.size());
                second.sigterm();
                second.awaitExit(Duration.ofSeconds(20));
            }
            Audit audit = Audit.of(ids, topics.stateEvents(), 0);
            assertThat(audit.lost()).isEmpty();
            assertThat(audit.completedMoreThanOnce()).isEmpty();
        }
    }

    @Test
    void aBrokerRestartedWhileTheServiceRunsIsRejoinedByItselfAndNothingIsLost() {
        try (KafkaBroker broker = KafkaBroker.startLocal(Map.of())) {
            Topics topics = new Topics(broker, "restart", 6);
            List<String> ids = new ArrayList<>(topics.produceTransactions(1000, 200));
            Map<String, String> env = topics.serviceEnv();
            env.put("TRANSACTIONS_PROCESSING_TIME", "20ms");
            try (ServiceProcess service = ServiceProcess.start("restart", env)) {
                await().atMost(Duration.ofSeconds(60)).until(
                        () -> service.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) > 0);
                broker.restart();
                // More input after the restart, with ids that do not collide with the first batch.
                try (var producer = topics.producer()) {
                    for (int i = 0; i < 500; i++) {
                        String id = "tx-after-" + i;
                        ids.add(id);
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.input,
                                ("acc-" + i).getBytes(), Topics.transaction(id, "acc-" + i).getBytes()));
                    }
                }
                await().atMost(Duration.ofSeconds(180))
                        .until(() -> Audit.of(ids, topics.stateEvents(), 0).lost().isEmpty());
                service.sigterm();
                assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            Audit audit = Audit.of(ids, topics.stateEvents(), 0);
            assertThat(audit.lost()).isEmpty();
        }
    }
}
