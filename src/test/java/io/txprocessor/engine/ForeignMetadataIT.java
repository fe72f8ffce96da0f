package io.txprocessor.engine;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.core.OffsetMetadata;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * Commit metadata is trusted only for the offset it was written for.
 *
 * <p>
 * The service commits {@code txp1:<finished>:<started>}, bit i standing for "commit offset + i". MirrorMaker 2's
 * checkpoint/offset sync (and any tool that rewinds a group while keeping what it read) translates the committed
 * offset to another position but copies the metadata string verbatim: on the target, the bits then name other
 * records, which a trusting reader skips as "finished by a previous owner" although nobody ever finished them
 * there. This test does exactly that translation with the Admin API on one topic: the metadata is what the service
 * would write at offset {@link #WRITTEN_FOR} (everything after it finished), committed at the earlier offset
 * {@link #REWOUND_TO}. Every record from {@link #REWOUND_TO} on must be processed again.
 */
@ExtendWith(SharedBroker.class)
class ForeignMetadataIT {

    private static final int RECORDS = 40;
    /** The offset the copied metadata was written for (on the "source" of the translation). */
    private static final long WRITTEN_FOR = 25;
    /** The translated offset the metadata is committed at. */
    private static final long REWOUND_TO = 10;

    @Test
    void metadataCommittedAtAnotherOffsetIsIgnoredAndEveryRecordFromThatOffsetIsProcessedAgain(KafkaBroker broker)
            throws Exception {
        Topics topics = new Topics(broker, "foreign-metadata", 1);
        TopicPartition partition = new TopicPartition(topics.input, 0);
        List<String> ids = topics.produceTransactions(RECORDS, 7);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "5ms");

        // A first run processes everything, so the group exists and every record is known to be valid.
        try (ServiceProcess first = ServiceProcess.start("foreign-metadata-first", with(env, "HOSTNAME", "first"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> committedOffset(topics, partition) == RECORDS);
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(30))).as("first run's exit status").isZero();
        }
        assertThat(completedOffsets(topics, "first")).as("offsets completed by the first run")
                .isEqualTo(offsets(0, RECORDS));

        // The translation: metadata written for WRITTEN_FOR (the records after it finished, as the service encodes
        // it) committed at REWOUND_TO, as MM2's offset sync or a rewind that keeps the metadata does.
        NavigableSet<Long> finishedAfter = new TreeSet<>(offsets(WRITTEN_FOR + 1, RECORDS).keySet());
        String copied = new OffsetMetadata(finishedAfter, new TreeSet<>()).encode(WRITTEN_FOR);
        try (Admin admin = broker.admin()) {
            admin.alterConsumerGroupOffsets(topics.group,
                    Map.of(partition, new OffsetAndMetadata(REWOUND_TO, copied)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        OffsetAndMetadata rewound = topics.committed().get(partition);
        assertThat(rewound.offset()).isEqualTo(REWOUND_TO);
        assertThat(rewound.metadata()).isEqualTo(copied);

        try (ServiceProcess second = ServiceProcess.start("foreign-metadata-second",
                with(env, "HOSTNAME", "second"))) {
            // The second run is done when its commit reaches the end again (it only commits finished records).
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> committedOffset(topics, partition) == RECORDS);
            assertThat(completedOffsets(topics, "second"))
                    .as("offsets completed by the second run: every one from %d (where the copied metadata was"
                            + " committed) to the end, none skipped as finished by a previous owner", REWOUND_TO)
                    .isEqualTo(offsets(REWOUND_TO, RECORDS));
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(30))).as("second run's exit status").isZero();
        }
        Map<String, Long> completed = topics.countByState(topics.stateEvents(), "COMPLETED");
        assertThat(completed.keySet()).as("ids completed").containsExactlyInAnyOrderElementsOf(ids);
    }

    private static long committedOffset(Topics topics, TopicPartition partition) {
        OffsetAndMetadata committed = topics.committed().get(partition);
        return committed == null ? -1 : committed.offset();
    }

    /** The source offsets of the COMPLETED events one instance published, each with how often it did. */
    private static Map<Long, Long> completedOffsets(Topics topics, String instance) {
        return topics.stateEvents().stream()
                .filter(e -> instance.equals(e.path("instance").asText()))
                .filter(e -> "COMPLETED".equals(e.path("state").asText()))
                .collect(Collectors.groupingBy((JsonNode e) -> e.path("offset").asLong(), TreeMap::new,
                        Collectors.counting()));
    }

    /** Offsets from (inclusive) to (exclusive), each once: what {@link #completedOffsets} returns when all is well. */
    private static Map<Long, Long> offsets(long from, long to) {
        Map<Long, Long> once = new TreeMap<>();
        LongStream.range(from, to).forEach(offset -> once.put(offset, 1L));
        return once;
    }

}
