package io.txprocessor.testing;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One test's set of topics and its consumer group on a broker, with unique names so tests never see each other's
 * data; plus what tests need to write input and read what the service did.
 */
public final class Topics {

    private static final ObjectMapper JSON = new ObjectMapper();

    public final String input;
    public final String states;
    public final String deadLetters;
    public final String group;
    private final KafkaBroker broker;
    private final int partitions;

    public Topics(KafkaBroker broker, String prefix, int partitions) {
        String suffix = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.broker = broker;
        this.partitions = partitions;
        this.input = "transactions-" + suffix;
        this.states = "states-" + suffix;
        this.deadLetters = "dlq-" + suffix;
        this.group = "group-" + suffix;
        broker.createTopic(input, partitions);
        broker.createTopic(states, 3);
        broker.createTopic(deadLetters, 1);
    }

    /** The environment that points a service at these topics. */
    public Map<String, String> serviceEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("TRANSACTIONS_TOPIC", input);
        env.put("TRANSACTIONS_STATES_TOPIC", states);
        env.put("TRANSACTIONS_DEAD_LETTER_TOPIC", deadLetters);
        env.put("TRANSACTIONS_GROUP_ID", group);
        return env;
    }

    /**
     * Sets the group protocol ({@code classic} or {@code consumer}) in a service environment that is otherwise
     * complete. Under {@code consumer} the client's session timeout is not used, so the one the environment asks for
     * (or the service's default, 10 s) becomes the group's own {@code consumer.session.timeout.ms} on the broker.
     */
    public void useGroupProtocol(Map<String, String> env, String protocol) {
        env.put("TRANSACTIONS_GROUP_PROTOCOL", protocol);
        if (protocol.equals("consumer")) {
            // Only the broker-versions profile starts a 3.x broker, whose KIP-848 was early access: its runs report
            // the consumer-protocol cases as not applicable rather than as failures of the drain.
            Assumptions.assumeTrue(broker.servesConsumerProtocol(),
                    "broker " + KafkaBroker.brokerVersion() + " does not serve group.protocol=consumer");
            String timeout = env.getOrDefault("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "10000");
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, env.get("TRANSACTIONS_GROUP_ID"));
            try (var admin = broker.admin()) {
                admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                        new ConfigEntry("consumer.session.timeout.ms", timeout), AlterConfigOp.OpType.SET))))
                        .all().get();
            } catch (Exception e) {
                throw new IllegalStateException("could not set the session timeout of group " + resource.name(), e);
            }
        }
    }

    public int partitions() {
        return partitions;
    }

    /** A well-formed transaction value. */
    public static String transaction(String id, String account) {
        return "{\"id\":\"" + id + "\",\"account\":\"" + account + "\",\"amount\":\"125.50\",\"currency\":\"EUR\"}";
    }

    public static String id(int n) {
        return String.format("tx-%06d", n);
    }

    /**
     * Writes {@code count} transactions tx-000000.. over {@code accounts} accounts (key = account), and fails if
     * the broker did not take every one of them: a send that fails does so in its callback, and a test or
     * benchmark that then waited for all of them would wait forever (a 1,000,000-record benchmark run on 60
     * partitions did, 144 records short, before this check).
     */
    public List<String> produceTransactions(int count, int accounts) {
        List<String> ids = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (int i = 0; i < count; i++) {
                String account = "acc-" + (i % accounts);
                String id = id(i);
                ids.add(id);
                producer.send(new ProducerRecord<>(input, utf8(account), utf8(transaction(id, account))),
                        (metadata, e) -> {
                            if (e != null) {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, e);
                            }
                        });
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + count + " transactions were not written to "
                    + input, firstFailure.get());
        }
        return ids;
    }

    public KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024,
                // One request at a time: a later batch can never overtake a refused first one of its partition,
                // which an idempotent producer would then retry as out of order until it expires (see
                // KafkaBroker.createTopic). One request carries batches of every partition; the cost is small.
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Every state event published so far, in topic order per partition, read {@code read_uncommitted}: events of
     * aborted transactions (an exactly-once instance SIGKILLed or fenced) included. What at-least-once readers see.
     */
    public List<JsonNode> stateEvents() {
        return stateEvents(IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * The state events a {@code read_committed} reader sees, in topic order per partition: those of committed
     * transactions (and of non-transactional writers), up to the last stable offset. An exactly-once instance's
     * outcomes count only here; an open transaction holds back everything after its first event.
     */
    public List<JsonNode> committedStateEvents() {
        return stateEvents(IsolationLevel.READ_COMMITTED);
    }

    public List<JsonNode> stateEvents(IsolationLevel isolation) {
        List<JsonNode> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : readAll(states, isolation)) {
            try {
                events.add(JSON.readTree(record.value()));
            } catch (java.io.IOException e) {
                throw new AssertionError(
                        "a state event is not JSON: " + new String(record.value(), StandardCharsets.UTF_8));
            }
        }
        return events;
    }

    public List<ConsumerRecord<byte[], byte[]>> deadLetterRecords() {
        return readAll(deadLetters);
    }

    /** The dead letters a {@code read_committed} reader sees (see {@link #committedStateEvents()}). */
    public List<ConsumerRecord<byte[], byte[]>> committedDeadLetterRecords() {
        return readAll(deadLetters, IsolationLevel.READ_COMMITTED);
    }

    /** Ids with at least one event in the given state. */
    public Map<String, Long> countByState(List<JsonNode> events, String state) {
        return events.stream()
                .filter(e -> state.equals(e.path("state").asText()))
                .collect(Collectors.groupingBy(e -> e.path("id").asText(), Collectors.counting()));
    }

    /** Everything in a topic from the beginning to its current end, {@code read_uncommitted}. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        return readAll(topic, IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * Everything in a topic a reader with the given isolation level sees, from the beginning to the end it has now.
     * For {@code read_committed} that end is the last stable offset (the first offset of the oldest open
     * transaction): the read ends there, while the transaction is still open, instead of waiting for it.
     */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic, IsolationLevel isolation) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = readerFromBeginning(topic, isolation, Map.of())) {
            List<TopicPartition> tps = List.copyOf(consumer.assignment());
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // A read_committed consumer's position also moves over aborted records and transaction markers, which
            // it never returns: the loop ends at the last stable offset all the same.
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end (" + isolation + ")");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** An admin client of the broker; the caller closes it. */
    public Admin admin() {
        return broker.admin();
    }

    /**
     * A consumer of no group (assign only, nothing committed) with the given isolation level: its
     * {@code endOffsets} are the high watermarks ({@code read_uncommitted}) or the last stable offsets
     * ({@code read_committed}). The caller closes it.
     */
    public KafkaConsumer<byte[], byte[]> reader(IsolationLevel isolation) {
        return reader(isolation, Map.of());
    }

    /**
     * A {@link #reader(IsolationLevel)} of every partition of {@code topic}, from its beginning, its positions looked
     * up before it returns (not on the first poll, so a reader that measures starts measuring at once).
     * {@code overrides} replace or add consumer settings (a short {@code fetch.max.wait.ms}, say). The caller closes
     * it.
     */
    public KafkaConsumer<byte[], byte[]> readerFromBeginning(String topic, IsolationLevel isolation,
            Map<String, Object> overrides) {
        KafkaConsumer<byte[], byte[]> reader = reader(isolation, overrides);
        try {
            List<TopicPartition> tps = partitionsOf(reader, topic);
            reader.assign(tps);
            reader.seekToBeginning(tps);
            tps.forEach(reader::position);
            return reader;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private KafkaConsumer<byte[], byte[]> reader(IsolationLevel isolation, Map<String, Object> overrides) {
        Map<String, Object> settings = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString(),
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024));
        settings.putAll(overrides);
        return new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Every partition of a topic, as {@code reader}'s metadata has it. */
    public static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> reader, String topic) {
        return reader.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
    }

    /** The group's committed offsets for the input topic (with metadata). */
    public Map<TopicPartition, OffsetAndMetadata> committed() {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetAndMetadata> ours = new HashMap<>();
            all.forEach((tp, offset) -> {
                if (tp.topic().equals(input) && offset != null) {
                    ours.put(tp, offset);
                }
            });
            return ours;
        } catch (Exception e) {
            throw new AssertionError("could not read the committed offsets of " + group, e);
        }
    }

    /** The partitions each member of the group owns, as the group coordinator has them (one set per member). */
    public List<Set<TopicPartition>> memberAssignments() {
        try (Admin admin = broker.admin()) {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                    .describedGroups().get(group).get(15, TimeUnit.SECONDS);
            List<Set<TopicPartition>> owned = new ArrayList<>();
            for (MemberDescription member : description.members()) {
                owned.add(new HashSet<>(member.assignment().topicPartitions()));
            }
            return owned;
        } catch (Exception e) {
            throw new AssertionError("could not describe group " + group, e);
        }
    }

    /**
     * Waits until the group has exactly two members, both holding input partitions, and {@code second} has logged
     * its own; returns the input partitions it does not hold (the first member's), sorted.
     */
    public List<TopicPartition> awaitSplitWith(ServiceProcess second) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            List<Set<TopicPartition>> owned = memberAssignments();
            return owned.size() == 2 && owned.stream().noneMatch(Set::isEmpty)
                    && owned.stream().mapToInt(Set::size).sum() == partitions
                    && !ServiceProcess.assignedPartitions(second.lines()).isEmpty();
        });
        Set<String> ofSecond = ServiceProcess.assignedPartitions(second.lines());
        List<TopicPartition> ofFirst = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (!ofSecond.contains(input + "-" + p)) {
                ofFirst.add(new TopicPartition(input, p));
            }
        }
        return ofFirst;
    }

    /** The end offset of each input partition. */
    public Map<TopicPartition, Long> endOffsets() {
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                request.put(new TopicPartition(input, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(request).all().get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> end.put(tp, info.offset()));
            return end;
        } catch (Exception e) {
            throw new AssertionError("could not read the end offsets of " + input, e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
