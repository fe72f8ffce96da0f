package io.txprocessor.testing;

import java.io.IOException;
import java.util.Map;

/**
 * The broker of {@code ./mvnw quarkus:dev} when no Docker engine answers: a {@link KafkaBroker} (KRaft, its own JVM,
 * free ports) with the service's topics, run by {@code io.txprocessor.dev.DevKafkaConfig} as a process of its own
 * from the test class path ({@code target/dev-kafka.classpath}), so that nothing of it is in the service's jar.
 *
 * <p>
 * Arguments: {@code topic:partitions} pairs. Prints {@link #READY} and the bootstrap servers once the topics exist,
 * then runs until its standard input closes, which happens when dev mode stops, or dies: the dev JVM holds the
 * other end of that pipe. Then it stops the broker and deletes its data.
 */
public final class DevKafka {

    /** The line prefix dev mode waits for; the bootstrap servers follow it. */
    public static final String READY = "dev-kafka ready at ";

    private DevKafka() {
    }

    public static void main(String[] args) throws IOException {
        try (KafkaBroker broker = KafkaBroker.startLocal(Map.of())) {
            for (String topic : args) {
                int colon = topic.lastIndexOf(':');
                broker.createTopic(topic.substring(0, colon), Integer.parseInt(topic.substring(colon + 1)));
            }
            System.out.println(READY + broker.bootstrapServers());
            System.out.flush();
            while (System.in.read() != -1) {
                // Nothing is ever written to us; we only wait for the end of the stream.
            }
        }
    }
}
