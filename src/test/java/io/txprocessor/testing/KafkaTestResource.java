package io.txprocessor.testing;

import java.util.Map;

import org.jboss.logging.Logger;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The broker of the {@code @QuarkusTest} suite, and that suite's topics and consumer group ({@link Topics}, injected
 * into any test field of that type). Where a Docker engine answers: Testcontainers' {@link KafkaContainer} with the
 * {@value #IMAGE} image. Otherwise, as on the project's build machines: the local KRaft broker the process-level
 * tests use ({@link KafkaBroker}, its own JVM), or the cluster named by {@code KAFKA_BOOTSTRAP_SERVERS}. The choice
 * is logged. Stopped by {@link #stop()}, which Quarkus calls when the application under test stops, failed tests
 * included (and KafkaBroker's shutdown hook, should the JVM end first).
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    /** Apache Kafka 4.1 in KRaft mode, as the local broker. */
    static final String IMAGE = "apache/kafka:4.1.1";
    private static final Logger LOG = Logger.getLogger(KafkaTestResource.class);

    private KafkaContainer container;
    private KafkaBroker broker;
    private Topics topics;

    @Override
    public Map<String, String> start() {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            // NOT EXERCISED on machines without a Docker engine, which includes the machines this project is built
            // and tested on: written for developers who have one, where it is what Quarkus developers expect.
            container = new KafkaContainer(DockerImageName.parse(IMAGE));
            container.start();
            broker = KafkaBroker.external(container.getBootstrapServers());
            LOG.infof("@QuarkusTest broker: Testcontainers' KafkaContainer (%s) at %s", IMAGE,
                    broker.bootstrapServers());
        } else {
            broker = KafkaBroker.start();
            LOG.infof("@QuarkusTest broker: no Docker engine answered; the local KRaft broker (its own JVM) at %s, "
                    + "or KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        }
        topics = new Topics(broker, "quarkus-test", 3);
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers(), "transactions.topic", topics.input,
                "transactions.states-topic", topics.states, "transactions.dead-letter-topic", topics.deadLetters,
                "transactions.group-id", topics.group);
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(topics, new TestInjector.MatchesType(Topics.class));
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
        if (container != null) {
            container.stop();
        }
    }
}
