package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class OffsetMetadataTest {

    @Test
    void roundTripsRelativeToTheCommitOffset() {
        OffsetMetadata metadata = new OffsetMetadata(new TreeSet<>(List.of(1001L, 1005L, 1900L)),
                new TreeSet<>(List.of(1002L)));

        String encoded = metadata.encode(1000);
        OffsetMetadata decoded = OffsetMetadata.decode(encoded, 1000);

        assertThat(encoded).startsWith("txp2:1000:");
        assertThat(decoded.finished()).containsExactly(1001L, 1005L, 1900L);
        assertThat(decoded.started()).containsExactly(1002L);
    }

    @Test
    void offsetsBelowTheCommitOffsetAreNotCarried() {
        OffsetMetadata metadata = new OffsetMetadata(new TreeSet<>(List.of(5L, 15L)), new TreeSet<>());

        assertThat(OffsetMetadata.decode(metadata.encode(10), 10).finished()).containsExactly(15L);
    }

    @Test
    void staysUnderKafkasMetadataLimitByDroppingTheHighestOffsets() {
        NavigableSet<Long> finished = new TreeSet<>();
        for (long offset = 1; offset < 200_000; offset += 2) {
            finished.add(offset);
        }
        String encoded = new OffsetMetadata(finished, new TreeSet<>()).encode(0);
        NavigableSet<Long> carried = OffsetMetadata.decode(encoded, 0).finished();

        assertThat(encoded.length()).isLessThanOrEqualTo(OffsetMetadata.MAX_LENGTH);
        assertThat(carried).isNotEmpty();
        // What is carried is exactly a prefix of what was finished: dropping costs re-processing, never loss.
        assertThat(carried).containsExactlyElementsOf(finished.headSet(carried.last(), true));
    }

    @Test
    void foreignOrBrokenMetadataReadsAsEmpty() {
        assertThat(OffsetMetadata.decode(null, 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("written by another tool", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("txp1:!!!:", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("txp1:AQ", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("txp1:AQ:", 0).finished()).as("the base-less format of 1.0").isEmpty();
        assertThat(OffsetMetadata.decode("txp2:x:AQ:", 0).finished()).isEmpty();
    }

    @Test
    void metadataCarriedToAnotherOffsetIsIgnoredSoEveryRecordIsProcessedAgain() {
        // MirrorMaker 2's offset sync, kafka-consumer-groups --reset-offsets, an operator's alterConsumerGroupOffsets:
        // the offset moves, the metadata is copied unchanged. Its bits were written for offset 1000.
        String written = new OffsetMetadata(new TreeSet<>(List.of(1001L, 1005L)), new TreeSet<>(List.of(1002L)))
                .encode(1000);

        OffsetMetadata movedBack = OffsetMetadata.decode(written, 990);

        assertThat(movedBack.finished()).isEmpty();
        assertThat(movedBack.started()).isEmpty();
        assertThat(OffsetMetadata.decode(written, 1000).finished()).containsExactly(1001L, 1005L);
    }
}
