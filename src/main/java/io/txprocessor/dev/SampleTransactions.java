package io.txprocessor.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.common.annotation.Identifier;
import io.txprocessor.transaction.TransactionsConfig;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Dev mode only: {@code curl -X POST 'localhost:8080/dev/transactions?count=5'} writes that many sample
 * transactions to the input topic, waits for their state events, and answers one line per transaction with its
 * state. The same request after a handler change shows the new handler at work (it also triggers the live reload).
 *
 * <p>
 * Runs on a Vert.x worker thread (a blocking handler); the producer is thread-safe, and every request reads the
 * state topic with a consumer of its own.
 */
@IfBuildProfile("dev")
@ApplicationScoped
public class SampleTransactions {

    static final String PATH = "/dev/transactions";
    private static final int MAX_COUNT = 1000;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TransactionsConfig config;
    private final ObjectMapper mapper;
    private final Map<String, Object> kafka;
    private final KafkaProducer<byte[], byte[]> producer;

    public SampleTransactions(TransactionsConfig config, ObjectMapper mapper,
            @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.config = config;
        this.mapper = mapper;
        this.kafka = kafka;
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "dev-sample-transactions");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void routes(@Observes Router router) {
        router.post(PATH).blockingHandler(this::send);
    }

    private void send(RoutingContext request) {
        String countParam = request.queryParams().get("count");
        int count;
        try {
            count = countParam == null ? 5 : Integer.parseInt(countParam);
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > MAX_COUNT) {
            request.response().setStatusCode(400).end("count must be between 1 and " + MAX_COUNT + "\n");
            return;
        }
        String batch = "dev-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
        Map<String, String> states = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> stateEvents = statesConsumer()) {
            for (int i = 1; i <= count; i++) {
                String id = batch + "-" + i;
                String account = "acct-" + (i % 3 + 1);
                Map<String, String> transaction = new LinkedHashMap<>();
                transaction.put("id", id);
                transaction.put("account", account);
                transaction.put("amount", (i * 7 % 100 + 1) + ".50");
                transaction.put("currency", "EUR");
                producer.send(new ProducerRecord<>(config.input().topic(), account.getBytes(StandardCharsets.UTF_8),
                        mapper.writeValueAsBytes(transaction)));
                states.put(id, "no state event within " + WAIT.toSeconds() + " s");
            }
            producer.flush();
            awaitStates(stateEvents, states, count);
        } catch (IOException e) {
            request.fail(e);
            return;
        }
        StringBuilder answer = new StringBuilder();
        states.forEach((id, state) -> answer.append(id).append(' ').append(state).append('\n'));
        request.response().putHeader("content-type", "text/plain; charset=utf-8").end(answer.toString());
    }

    /** A consumer positioned at the end of every partition of the state topic, before anything is sent. */
    private KafkaConsumer<byte[], byte[]> statesConsumer() {
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "dev-sample-states");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(config.output().statesTopic())
                .forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolves the end now, not at the first poll
        return consumer;
    }

    /** Fills in the state (and reason) of each of our ids as its event arrives, until all have one or time is up. */
    private void awaitStates(KafkaConsumer<byte[], byte[]> consumer, Map<String, String> states, int count)
            throws IOException {
        long end = System.nanoTime() + WAIT.toNanos();
        int seen = 0;
        while (seen < count && System.nanoTime() < end) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                JsonNode event = mapper.readTree(record.value());
                String id = event.path("id").asText();
                if (states.containsKey(id) && states.get(id).startsWith("no state")) {
                    seen++;
                }
                if (states.containsKey(id)) {
                    String reason = event.path("reason").asText("");
                    states.put(id, event.path("account").asText() + " " + event.path("state").asText()
                            + (reason.isEmpty() ? "" : " (" + reason + ")"));
                }
            }
        }
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(1));
    }
}
