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

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * A backlog of large records (900 KB each, 3 s of work each) at the recommended heap ({@code -Xmx256m}, docs/performance.md):
 * what the service holds is bounded in bytes as well as in offsets, so the backlog flows instead of ending in an
 * {@code OutOfMemoryError}; and should the heap run out anyway, the process ends at once with a failure status
 * instead of limping on and later reporting a clean drain.
 */
@ExtendWith(SharedBroker.class)
class LargeRecordBacklogIT {

    private static final int RECORDS = 600;
    private static final int VALUE_BYTES = 900 * 1024;
    /** The recommended JVM settings outside a container (docs/performance.md; the image's run-java.sh sets the same exit). */
    private static final String RECOMMENDED_JVM = "-Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    @Test
    void aBacklogOfLargeRecordsFlowsAtTheRecommendedHeap(KafkaBroker broker) {
        Topics topics = new Topics(broker, "large", 2);
        List<String> ids = produceLarge(topics);
        Map<String, String> env = with(topics.serviceEnv(), "TRANSACTIONS_PROCESSING_TIME", "3s");
        env.put("JAVA_TOOL_OPTIONS", RECOMMENDED_JVM);

        try (ServiceProcess service = ServiceProcess.start("large-backlog", env)) {
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(2))
                    .until(() -> topics.countByState(topics.stateEvents(), "COMPLETED").size() == RECORDS
                            || service.logged(line -> line.contains("java.lang.OutOfMemoryError"))
                            || !service.isAlive());
            assertThat(service.lines()).as("the service's log")
                    .noneMatch(line -> line.contains("java.lang.OutOfMemoryError"));
            assertThat(topics.countByState(topics.stateEvents(), "COMPLETED")).as("completed").hasSize(RECORDS);
            service.sigterm();
            assertThat(service.awaitExit(Duration.ofSeconds(30))).isZero();
        }
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).isEmpty();
    }

    @Test
    void whenTheHeapRunsOutAnywayTheProcessEndsAtOnceWithAFailureStatus(KafkaBroker broker) {
        Topics topics = new Topics(broker, "large-oom", 2);
        produceLarge(topics);
        Map<String, String> env = with(topics.serviceEnv(), "TRANSACTIONS_PROCESSING_TIME", "3s");
        env.put("JAVA_TOOL_OPTIONS", RECOMMENDED_JVM);
        // The byte bound switched off (far above the heap): the heap runs out, as it did before the bound existed.
        env.put("TRANSACTIONS_MAX_PENDING_BYTES", "8G");

        try (ServiceProcess service = ServiceProcess.start("large-oom", env)) {
            int exitStatus = service.awaitExit(Duration.ofMinutes(2));
            assertThat(service.lines()).as("the service's log")
                    .anyMatch(line -> line.contains("java.lang.OutOfMemoryError"));
            assertThat(exitStatus).as("exit status of a JVM that ran out of heap").isNotZero();
        }
    }

    private static List<String> produceLarge(Topics topics) {
        List<String> ids = new ArrayList<>();
        char[] memo = new char[VALUE_BYTES];
        Arrays.fill(memo, 'm');
        String padding = new String(memo);
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                String id = Topics.id(i);
                String account = "acc-" + i;
                String value = "{\"id\":\"" + id + "\",\"account\":\"" + account
                        + "\",\"amount\":\"1.00\",\"currency\":\"EUR\",\"memo\":\"" + padding + "\"}";
                producer.send(new ProducerRecord<>(topics.input, account.getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8)));
                ids.add(id);
            }
            producer.flush();
        }
        return ids;
    }
}
