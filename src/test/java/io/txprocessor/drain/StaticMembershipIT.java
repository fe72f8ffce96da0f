package io.txprocessor.drain;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Static membership (transactions.group-instance-id): a restart in place gets its partitions back without moving
 * them to another instance; the price is that a stopped static member does not leave the group.
 */
@ExtendWith(SharedBroker.class)
class StaticMembershipIT {

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void aStaticMemberRestartedInPlaceGetsItsPartitionsBackAndTheyNeverMove(String protocol, KafkaBroker broker) {
        Topics topics = new Topics(broker, "static", 6);
        topics.produceTransactions(300, 100);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");
        // Long enough for a restart on a busy machine; the partitions of a stopped static member wait this long.
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "45000");
        topics.useGroupProtocol(env, protocol);
        Map<String, String> staticEnv = with(with(env, "HOSTNAME", "static"), "TRANSACTIONS_GROUP_INSTANCE_ID",
                "static-0");

        try (ServiceProcess dynamic = ServiceProcess.start("static-dynamic", with(env, "HOSTNAME", "dynamic"))) {
            Set<String> before;
            try (ServiceProcess first = ServiceProcess.start("static-first", staticEnv)) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> !ServiceProcess.assignedPartitions(first.lines()).isEmpty()
                                && !ServiceProcess.assignedPartitions(dynamic.lines()).isEmpty()
                                && ServiceProcess.assignedPartitions(first.lines()).size()
                                        + ServiceProcess.assignedPartitions(dynamic.lines()).size() >= 6);
                before = ServiceProcess.assignedPartitions(first.lines());
                first.sigterm();
                assertThat(first.awaitExit(Duration.ofSeconds(30))).isZero();
            }
            int dynamicLinesAtStop = dynamic.lines().size();
            try (ServiceProcess again = ServiceProcess.start("static-again", staticEnv)) {
                await().atMost(Duration.ofSeconds(40))
                        .until(() -> !ServiceProcess.assignedPartitions(again.lines()).isEmpty());
                assertThat(ServiceProcess.assignedPartitions(again.lines()))
                        .as("the restarted static member's partitions")
                        .isEqualTo(before);
                List<String> dynamicSince = dynamic.lines().subList(dynamicLinesAtStop, dynamic.lines().size());
                assertThat(ServiceProcess.assignedPartitions(dynamicSince))
                        .as("partitions moved to the other instance meanwhile").isEmpty();
                again.sigterm();
                again.awaitExit(Duration.ofSeconds(30));
            }
            dynamic.sigterm();
            dynamic.awaitExit(Duration.ofSeconds(30));
        }
    }
}
