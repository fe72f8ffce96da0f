package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * A clean SIGTERM drain says nothing alarming afterwards, even when the group is rebalancing as the consumer
 * closes (another member joined and has not rejoined yet, as in the chaos drill: members come and go every few
 * seconds). A consumer that closes during a rebalance reports what it still holds as lost (Kafka's
 * {@code ConsumerCoordinator.onLeavePrepare}), after the shutdown drain has committed everything; that must not be
 * logged as a loss (TXP1009) nor, exactly once, abort an empty transaction (TXP1103): an operator reading such a
 * log looks for a fault that never happened.
 */
@ExtendWith(SharedBroker.class)
class CleanShutdownLogIT {

    @Test
    void anExactlyOnceDrainWhileTheGroupRebalancesLogsNoLossAndNoAbort(KafkaBroker broker) {
        // Exactly once: its commit goes through the transaction coordinator, which takes it during a rebalance.
        // At least once the consumer itself refuses a commit while it rebalances (TXP1006, then TXP1005): that
        // drain is not clean, and exits 1 with commitError.
        String delivery = "exactly-once";
        Topics topics = new Topics(broker, "clean-log-" + delivery, 2);
        List<String> ids = topics.produceTransactions(40, 10);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", delivery);
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        env.put("DRAIN_GRACE_PERIOD", "10s");
        try (ServiceProcess service = ServiceProcess.start("clean-log-" + delivery, env);
                KafkaConsumer<byte[], byte[]> silent = silentMember(broker, topics)) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> topics.countByState(topics.committedStateEvents(), "COMPLETED").size() == ids.size());
            // A member joins and stops polling once the service has revoked its share in the cooperative
            // protocol's first round: the second round, which would hand that share over, waits for the silent
            // member to rejoin, and the group stays in a rebalance while the service drains and closes.
            // It polls only until its first round is over: polled on, it would learn of the second round from a
            // heartbeat and take its share, and the group would be stable again before the SIGTERM.
            AtomicBoolean firstRoundOver = new AtomicBoolean();
            silent.subscribe(List.of(topics.input), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    firstRoundOver.set(true);
                }
            });
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                silent.poll(Duration.ofMillis(20));
                return firstRoundOver.get();
            });
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> service.logged(line -> line.contains("\"trigger\":\"rebalance\"")));
            assertThat(silent.assignment()).as("the silent member's share, not handed over yet").isEmpty();

            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(15))).as("exit status").isZero();
            List<String> after = service.lines().stream().dropWhile(line -> !line.contains("TXP1010")).toList();
            assertThat(after).as("the log from SIGTERM on").isNotEmpty();
            assertThat(after).as("no loss, no abort after a clean drain")
                    .noneMatch(line -> line.contains("TXP1009") || line.contains("TXP1103"));
        }
    }

    private static KafkaConsumer<byte[], byte[]> silentMember(KafkaBroker broker, Topics topics) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, topics.group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
