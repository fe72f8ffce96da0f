package io.txprocessor.operate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * {@code kafka_consumer_fetch_manager_records_lag}, the series the alert {@code TransactionProcessorConsumerLagGrowing}
 * and the dashboard's lag panels sum, exported by the packaged service with the value the broker's offsets give.
 * The lag is made known: partition 0 holds 3,000 records, all on one lane (ordering by partition) behind a first
 * record that hangs, so the service fetches until its window is full, pauses, and its position stays put; partition
 * 1 is empty. The client's per-partition series are bound up to a minute after the consumer starts (Micrometer's
 * refresh), which sets this test's length.
 */
@ExtendWith(SharedBroker.class)
class ConsumerLagMetricIT {

    private static final int RECORDS = 3_000;
    private static final String LAG = "kafka_consumer_fetch_manager_records_lag";

    @Test
    void theLagTheAlertsUseIsExportedPerPartitionWithTheValueTheBrokerGives(KafkaBroker broker) {
        Topics topics = new Topics(broker, "lag", 2);
        produce(topics);
        Map<String, String> env = topics.serviceEnv();
        env.put("HOSTNAME", "lagging");
        env.put("TRANSACTIONS_ORDERING", "partition");
        env.put("TRANSACTIONS_SIMULATED_HANGS", "tx-000000");
        env.put("DRAIN_GRACE_PERIOD", "10s");
        try (ServiceProcess service = ServiceProcess.start("consumer-lag", env)) {
            long end = topics.endOffsets().get(new TopicPartition(topics.input, 0));
            assertThat(end).as("end offset of partition 0").isEqualTo(RECORDS);
            // The series of both partitions, once bound, and a position that no longer moves (fetching paused).
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> lag(service, topics, 0).isPresent() && lag(service, topics, 1).isPresent()
                            && consumed(service, topics).isPresent()
                            && service.metric("transactions_in_flight").orElse(0.0) == 1.0);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                double before = consumed(service, topics).orElse(-1.0);
                return before > 0 && lag(service, topics, 0).orElse(-1.0) == end - before
                        && consumed(service, topics).orElse(-2.0) == before;
            });
            double consumed = consumed(service, topics).orElseThrow();
            double lagOf0 = lag(service, topics, 0).orElseThrow();
            System.out.printf("records-lag of partition 0: %.0f (end %d, position %.0f)%n", lagOf0, end, consumed);
            assertThat(consumed).as("records the consumer fetched (its position on partition 0)").isLessThan(RECORDS);
            assertThat(lagOf0).as("records-lag of partition 0: its end offset less the consumer's position")
                    .isEqualTo(end - consumed).isPositive();
            assertThat(lag(service, topics, 1)).as("records-lag of the empty partition 1").contains(0.0);
            service.sigterm();
            service.awaitExit(Duration.ofSeconds(30));
        }
    }

    /** records-lag of one input partition, as /q/metrics exports it (any order of labels). */
    private static Optional<Double> lag(ServiceProcess service, Topics topics, int partition) {
        return sample(service, LAG + "{", "partition=\"" + partition + "\"", "topic=\"" + topics.input + "\"");
    }

    /** records-consumed-total of the input topic: the records fetched from it, the position from offset 0. */
    private static Optional<Double> consumed(ServiceProcess service, Topics topics) {
        return sample(service, "kafka_consumer_fetch_manager_records_consumed_total{",
                "topic=\"" + topics.input + "\"");
    }

    private static Optional<Double> sample(ServiceProcess service, String prefix, String... labels) {
        return service.get("/q/metrics").flatMap(response -> response.body().lines()
                .filter(line -> line.startsWith(prefix))
                .filter(line -> {
                    for (String label : labels) {
                        if (!line.contains(label)) {
                            return false;
                        }
                    }
                    return true;
                })
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst());
    }

    /** All records on partition 0, one account each (the ordering puts them on one lane all the same). */
    private static void produce(Topics topics) {
        try (KafkaProducer<byte[], byte[]> producer = topics.producer()) {
            for (int i = 0; i < RECORDS; i++) {
                String id = Topics.id(i);
                producer.send(new ProducerRecord<>(topics.input, 0, ("acc-" + i).getBytes(StandardCharsets.UTF_8),
                        Topics.transaction(id, "acc-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }
}
