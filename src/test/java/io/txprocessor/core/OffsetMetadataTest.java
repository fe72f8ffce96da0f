package io.txprocessor.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OffsetMetadataTest {

    @Test
    void roundTripsRelativeToTheCommitOffset() {
        OffsetMetadata metadata = new OffsetMetadata(new TreeSet<>(List.of(1001L, 1005L, 1900L)),
                new TreeSet<>(List.of(1002L)));

        String encoded = metadata.encode(1000);
        OffsetMetadata decoded = OffsetMetadata.decode(encoded, 1000);

        assertThat(encoded).startsWith("txp3:1000:");
        assertThat(decoded.finished()).containsExactly(1001L, 1005L, 1900L);
        assertThat(decoded.started()).containsExactly(1002L);
    }

    @Test
    void offsetsBelowTheCommitOffsetAreNotCarried() {
        OffsetMetadata metadata = new OffsetMetadata(new TreeSet<>(List.of(5L, 15L)), new TreeSet<>());

        assertThat(OffsetMetadata.decode(metadata.encode(10), 10).finished()).containsExactly(15L);
    }

    /** Kafka's default {@code offset.metadata.max.bytes}: the broker refuses a commit whose metadata is longer. */
    private static final int KAFKAS_DEFAULT_LIMIT = 4096;
    /** The widest span of a partition the engine lets start (its first unfinished record to its last started). */
    private static final int WIDEST_SPAN = 24_000;
    /** The largest offset a commit can name: 19 digits, the longest base. */
    private static final long HIGHEST_BASE = Long.MAX_VALUE - WIDEST_SPAN;

    @Test
    void theWideHandOffOfTheIssueCarriesEveryFinishedOffset() {
        // A 20,000-record window whose first and last records hang: 19,998 finished between two started ones.
        long base = 7_000_000L;
        NavigableSet<Long> finished = range(base + 1, base + 19_999);
        NavigableSet<Long> started = new TreeSet<>(List.of(base, base + 19_999));

        String encoded = new OffsetMetadata(finished, started).encode(base);
        OffsetMetadata decoded = OffsetMetadata.decode(encoded, base);

        assertThat(encoded.length()).isLessThanOrEqualTo(KAFKAS_DEFAULT_LIMIT);
        assertThat(decoded.finished().size()).as("finished offsets carried, of %d", finished.size())
                .isEqualTo(finished.size());
        assertThat(decoded.finished()).isEqualTo(finished);
        assertThat(decoded.started()).isEqualTo(started);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"every other", "every third", "two of three", "random", "runs of random length",
            "all but the ends"})
    void everyFinishedOffsetOfTheWidestSpanFitsUnderKafkasDefaultLimitWhateverThePattern(String pattern) {
        // The worst case, computed: the finished set of a span of WIDEST_SPAN as a bit set is WIDEST_SPAN / 8 bytes,
        // base64 4/3 of that, beside the longest base. The started ones are carried in what room is left.
        Random random = new Random(pattern.hashCode());
        NavigableSet<Long> finished = new TreeSet<>();
        NavigableSet<Long> started = new TreeSet<>();
        int run = 0;
        boolean finishing = false;
        for (long i = 1; i < WIDEST_SPAN; i++) {
            boolean done = switch (pattern) {
                case "every other" -> i % 2 == 1;
                case "every third" -> i % 3 == 0;
                case "two of three" -> i % 3 != 0;
                case "random" -> random.nextBoolean();
                case "runs of random length" -> {
                    if (run-- <= 0) {
                        run = random.nextInt(40);
                        finishing = !finishing;
                    }
                    yield finishing;
                }
                default -> i < WIDEST_SPAN - 1;
            };
            (done ? finished : started).add(HIGHEST_BASE + i);
        }
        finished.add(HIGHEST_BASE + WIDEST_SPAN - 1); // the span's far end is finished: the longest bit set

        String encoded = new OffsetMetadata(finished, started).encode(HIGHEST_BASE);
        OffsetMetadata decoded = OffsetMetadata.decode(encoded, HIGHEST_BASE);

        assertThat(encoded.length()).as("metadata length").isLessThanOrEqualTo(KAFKAS_DEFAULT_LIMIT);
        assertThat(decoded.finished().size()).as("finished offsets carried, of %d", finished.size())
                .isEqualTo(finished.size());
        assertThat(decoded.finished()).as("finished offsets carried").isEqualTo(finished);
        // Started offsets only count re-deliveries: what does not fit is left out, from the highest down.
        assertThat(started).containsAll(decoded.started());
        NavigableSet<Long> carried = decoded.started();
        assertThat(carried).as("started offsets carried: the lowest ones")
                .isEqualTo(carried.isEmpty() ? carried : started.headSet(carried.last(), true));
    }

    private static NavigableSet<Long> range(long from, long to) {
        NavigableSet<Long> offsets = new TreeSet<>();
        for (long offset = from; offset < to; offset++) {
            offsets.add(offset);
        }
        return offsets;
    }

    @Test
    void metadataOfThePreviousVersionIsStillReadSoARollingUpgradeRepeatsNothing() {
        // Written by 1.x: txp2, both sets as bit sets. Bits 1 and 5 finished (0x22), bit 2 started (0x04).
        OffsetMetadata decoded = OffsetMetadata.decode("txp2:1000:Ig:BA", 1000);

        assertThat(decoded.finished()).containsExactly(1001L, 1005L);
        assertThat(decoded.started()).containsExactly(1002L);
    }

    @Test
    void runsThatReachFarBeyondAnySpanAreGarbageNotAHeapFull() {
        // A gap of 0 and a run of 2^35 offsets, as varints: no instance wrote it, and decoding it must not try.
        String garbage = "txp3:0:r" + java.util.Base64.getEncoder().withoutPadding()
                .encodeToString(new byte[]{0, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01}) + ":";

        assertThat(OffsetMetadata.decode(garbage, 0).finished()).isEmpty();
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
        assertThat(OffsetMetadata.decode("txp3:0:xAQ:", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("txp3:0:r!!:", 0).finished()).isEmpty();
        assertThat(OffsetMetadata.decode("txp3:0:r/w:", 0).finished()).as("a truncated varint").isEmpty();
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
