package io.txprocessor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.core.OffsetMetadata;

/** Whether a group's committed offsets hand off exactly the records the state topic says are finished. */
public final class CommitCoverage {

    private CommitCoverage() {
    }

    /**
     * Per partition: every offset below the committed one is finished, and every finished offset at or above it
     * is carried in the commit's metadata (so the next owner skips it), and the committed offset itself is not a
     * finished record the metadata leaves out. {@code finished} are the state events of the finished records
     * (COMPLETED or FAILED), nothing else. Returns how many finished offsets the commits carried.
     */
    public static int assertCommitsCoverExactlyTheFinished(Topics topics, List<JsonNode> finished) {
        int carried = 0;
        Map<TopicPartition, Set<Long>> done = new HashMap<>();
        for (JsonNode event : finished) {
            done.computeIfAbsent(new TopicPartition(topics.input, event.path("partition").asInt()),
                    p -> new TreeSet<>()).add(event.path("offset").asLong());
        }
        Map<TopicPartition, OffsetAndMetadata> committed = topics.committed();
        for (int p = 0; p < topics.partitions(); p++) {
            TopicPartition partition = new TopicPartition(topics.input, p);
            Set<Long> doneHere = done.getOrDefault(partition, Set.of());
            OffsetAndMetadata commit = committed.get(partition);
            long offset = commit == null ? 0 : commit.offset();
            for (long o = 0; o < offset; o++) {
                assertThat(doneHere).as("offset %d of %s is below the commit %d", o, partition, offset).contains(o);
            }
            Set<Long> ahead = new HashSet<>();
            doneHere.stream().filter(o -> o >= offset).forEach(ahead::add);
            Set<Long> carriedHere = commit == null
                    ? Set.of()
                    : OffsetMetadata.decode(commit.metadata(), commit.offset()).finished();
            assertThat(carriedHere).as("finished offsets of %s past the commit %d", partition, offset)
                    .containsExactlyInAnyOrderElementsOf(ahead);
            carried += carriedHere.size();
        }
        return carried;
    }

    /**
     * Per partition: every offset below the committed one, and every one its metadata carries, is finished. The
     * half of {@link #assertCommitsCoverExactlyTheFinished} that holds whatever the network did: an outcome the
     * broker took but whose acknowledgement was lost is finished on the topic and rightly left out of the commit (the
     * next owner processes it again), so only "nothing committed past unfinished work" is checked.
     */
    public static void assertNothingCommittedPastUnfinished(Topics topics, List<JsonNode> finished) {
        Map<TopicPartition, Set<Long>> done = new HashMap<>();
        for (JsonNode event : finished) {
            done.computeIfAbsent(new TopicPartition(topics.input, event.path("partition").asInt()),
                    p -> new TreeSet<>()).add(event.path("offset").asLong());
        }
        topics.committed().forEach((partition, commit) -> {
            Set<Long> doneHere = done.getOrDefault(partition, Set.of());
            for (long o = 0; o < commit.offset(); o++) {
                assertThat(doneHere).as("offset %d of %s is below the commit %d", o, partition, commit.offset())
                        .contains(o);
            }
            assertThat(doneHere).as("offsets of %s the commit's metadata carries as finished", partition)
                    .containsAll(OffsetMetadata.decode(commit.metadata(), commit.offset()).finished());
        });
    }
}
