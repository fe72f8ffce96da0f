package io.txprocessor.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * {@link LossDetector} against the real kafka-clients jar and a real broker: it recognises a loss by the name of a
 * frame of Kafka's own code, so a Kafka release that renamed or moved that frame would silently turn every loss
 * into a revocation drain (waiting, committing and publishing for partitions another member owns). Here a real
 * {@link KafkaConsumer} really loses its partitions (it stops polling past {@code max.poll.interval.ms}, and the
 * group moves on without it), with a listener that, like the SmallRye connector's wrapper, does not override
 * {@code onPartitionsLost}: Kafka's default forwards the loss to {@code onPartitionsRevoked}, where the detector must
 * say "loss"; and for a real revocation (the consumer unsubscribing) it must not.
 */
@ExtendWith(SharedBroker.class)
class LossDetectorIT {

    private static final String INVOKER = "org.apache.kafka.clients.consumer.internals.ConsumerRebalanceListenerInvoker";
    /** The frame LossDetector's Javadoc names: where both consumer implementations report a loss from. */
    private static final String LOSS_FRAME = INVOKER + ".invokePartitionsLost";
    /** Short, so the loss comes soon after the test stops polling. */
    private static final int MAX_POLL_INTERVAL_MS = 1_500;

    /** One call of {@code onPartitionsRevoked}: the partitions, the detector's answer, Kafka's frames on the stack. */
    record Revocation(Set<TopicPartition> partitions, boolean loss, List<String> invokerFrames) {
    }

    /** Overrides what the SmallRye wrapper overrides, not {@code onPartitionsLost}. */
    static final class ForwardingListener implements ConsumerRebalanceListener {

        final List<Revocation> revocations = new CopyOnWriteArrayList<>();

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return; // the cooperative protocol calls it with nothing after every rebalance
            }
            List<String> frames = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                    .walk(stack -> stack.filter(f -> f.getClassName().equals(INVOKER))
                            .map(f -> f.getClassName() + "." + f.getMethodName()).toList());
            revocations.add(new Revocation(Set.copyOf(partitions), LossDetector.calledForALoss(), frames));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    }

    @ParameterizedTest(name = "group.protocol={0}")
    @ValueSource(strings = {"classic", "consumer"})
    void aRealLossIsRecognisedThroughKafkasDefaultForwardingAndARealRevocationIsNot(String protocol,
            KafkaBroker broker) {
        Topics topics = new Topics(broker, "loss-detector", 2);
        Set<TopicPartition> all = Set.of(new TopicPartition(topics.input, 0), new TopicPartition(topics.input, 1));
        ForwardingListener listener = new ForwardingListener();
        // Taken before close(): a closing consumer of the new protocol reports what it still holds as lost.
        List<Revocation> after;
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker, topics, protocol)) {
            consumer.subscribe(List.of(topics.input), listener);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(100));
                return consumer.assignment().equals(all);
            });
            assertThat(listener.revocations).as("revocations before the loss").isEmpty();

            // No poll past max.poll.interval.ms: the client leaves the group on its own, and the coordinator agrees.
            await().atMost(Duration.ofSeconds(60)).until(() -> topics.memberAssignments().isEmpty());
            // The next poll learns that the partitions are gone, and reports the loss.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100));
                return !listener.revocations.isEmpty();
            });
            Revocation lost = listener.revocations.get(0);
            assertThat(lost.partitions()).as("partitions of the loss").isEqualTo(all);
            assertThat(lost.invokerFrames()).as("Kafka's frames on the stack of the forwarded loss")
                    .contains(LOSS_FRAME);
            assertThat(lost.loss()).as("LossDetector's answer for a real loss forwarded as a revocation").isTrue();

            // It rejoins and gets them back; a real revocation then is not a loss.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(100));
                return consumer.assignment().equals(all);
            });
            int before = listener.revocations.size();
            consumer.unsubscribe();
            after = List.copyOf(listener.revocations.subList(before, listener.revocations.size()));
        }
        assertThat(after.stream().flatMap(r -> r.partitions().stream()).collect(Collectors.toSet()))
                .as("partitions revoked by unsubscribing").isEqualTo(all);
        assertThat(after).as("revocations by unsubscribing").allSatisfy(revocation -> {
            assertThat(revocation.loss()).as("LossDetector's answer for a real revocation").isFalse();
            assertThat(revocation.invokerFrames()).as("Kafka's frames on the stack of a revocation")
                    .doesNotContain(LOSS_FRAME);
        });
    }

    private static KafkaConsumer<byte[], byte[]> consumer(KafkaBroker broker, Topics topics, String protocol) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, topics.group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, MAX_POLL_INTERVAL_MS,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol));
        if (protocol.equals("classic")) {
            config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
