package io.txprocessor.engine;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.publish.DeadLetters;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * An outcome the broker can never take must not hold its partition for ever. Here the input topic accepts records
 * of up to 4 MB and the service accepts ids of up to 2 MB, but the state topic keeps the broker's default limit
 * (about 1 MB): a transaction with a 1.2 MB id makes a state event the broker refuses as too large. The input goes
 * to the dead-letter topic instead (reason {@code unpublishable-outcome}; the value, too large as well, omitted),
 * counts as finished, and the records around it complete and are committed to the end.
 */
@ExtendWith(SharedBroker.class)
class UnpublishableOutcomeIT {

    private static final int HUGE_ID = 1_200_000;

    @Test
    void anOutcomeTheBrokerRefusesAsTooLargeDeadLettersTheInputAndThePartitionKeepsFlowing(KafkaBroker broker)
            throws Exception {
        Topics topics = new Topics(broker, "unpublishable", 1);
        try (Admin admin = broker.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topics.input),
                    List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "4194304"),
                            AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        List<String> normalIds = new ArrayList<>();
        List<String> hugeIds = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int i = 0; i < 22; i++) {
                boolean huge = i == 7 || i == 14;
                String id = huge ? hugeId(i) : Topics.id(i);
                (huge ? hugeIds : normalIds).add(id);
                producer.send(new ProducerRecord<>(topics.input, utf8("acc-" + i),
                        utf8(Topics.transaction(id, "acc-" + i))));
            }
            producer.flush();
        }
        Map<String, String> env = with(topics.serviceEnv(), "TRANSACTIONS_MAX_ID_LENGTH", "2000000");
        env.put("TRANSACTIONS_PROCESSING_TIME", "1ms");
        TopicPartition partition = new TopicPartition(topics.input, 0);

        try (ServiceProcess service = ServiceProcess.start("unpublishable", env)) {
            await().atMost(Duration.ofSeconds(90)).until(() -> topics.deadLetterRecords().size() >= hugeIds.size()
                    && topics.countByState(topics.stateEvents(), "COMPLETED").size() == normalIds.size());
            await().atMost(Duration.ofSeconds(30)).until(() -> topics.committed().containsKey(partition)
                    && topics.committed().get(partition).offset() == topics.endOffsets().get(partition));

            List<ConsumerRecord<byte[], byte[]>> deadLetters = topics.deadLetterRecords();
            assertThat(deadLetters).as("one dead letter per unpublishable outcome").hasSize(hugeIds.size());
            assertThat(deadLetters).allSatisfy(record -> {
                assertThat(header(record, DeadLetters.DLQ_REASON)).isEqualTo("unpublishable-outcome");
                assertThat(header(record, DeadLetters.DLQ_CAUSE)).contains("RecordTooLargeException");
                assertThat(header(record, DeadLetters.DLQ_VALUE_OMITTED)).isNotNull();
            });
            assertThat(deadLetters).extracting(record -> Long.parseLong(header(record, DeadLetters.DLQ_OFFSET)))
                    .containsExactlyInAnyOrder(7L, 14L);
            assertThat(topics.countByState(topics.stateEvents(), "COMPLETED").keySet())
                    .containsExactlyInAnyOrderElementsOf(normalIds);
            assertThat(service.metric("transactions_publish_failures_total{kind=\"unpublishable\"}").orElse(0.0))
                    .isGreaterThanOrEqualTo(hugeIds.size());
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
        }
    }

    private static String hugeId(int n) {
        char[] id = new char[HUGE_ID];
        Arrays.fill(id, 'x');
        return Topics.id(n) + new String(id);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
