package io.txprocessor.core;

import java.util.Base64;
import java.util.BitSet;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * What a commit carries besides its offset, so the partition's next owner knows
 * what this instance already did past the first unfinished record: offsets that
 * are finished (skip them: no transaction completed twice) and offsets that
 * were started but not finished (count them as re-deliveries when they come
 * back).
 *
 * <p>
 * Format: {@code txp2:<base>:<finished>:<started>}, each part a base64 bit set where
 * bit i stands for offset {@code base + i}, and {@code base} is the offset the metadata was committed with. The bits
 * are trusted only when the committed offset still is {@code base}: MirrorMaker 2's offset sync, a
 * {@code --reset-offsets} or an operator's {@code alterConsumerGroupOffsets} move the offset and copy the metadata,
 * and bits read against another offset would mark records finished that never were. Such metadata (and the
 * base-less {@code txp1} format of earlier versions) is ignored: the records are processed again, never skipped.
 * Kafka limits metadata to
 * {@code offset.metadata.max.bytes} (4096 by default); when the sets do not
 * fit, the highest offsets are left out, which costs re-processing, never loss.
 *
 * @param finished
 *            offsets at or above the commit offset that are finished
 * @param started
 *            offsets at or above the commit offset that were started and not
 *            finished
 */
public record OffsetMetadata(NavigableSet<Long> finished, NavigableSet<Long> started) {

    static final String PREFIX = "txp2:";
    /** Leaves room under Kafka's default 4096-byte limit. */
    static final int MAX_LENGTH = 4000;

    public static OffsetMetadata empty() {
        return new OffsetMetadata(new TreeSet<>(), new TreeSet<>());
    }

    /**
     * Encodes the sets relative to {@code commitOffset}; offsets below it are
     * dropped (they are committed).
     */
    public String encode(long commitOffset) {
        NavigableSet<Long> finishedAbove = new TreeSet<>(finished.tailSet(commitOffset, true));
        NavigableSet<Long> startedAbove = new TreeSet<>(started.tailSet(commitOffset, true));
        while (true) {
            String encoded = PREFIX + commitOffset + ":" + bits(finishedAbove, commitOffset) + ":"
                    + bits(startedAbove, commitOffset);
            if (encoded.length() <= MAX_LENGTH) {
                return encoded;
            }
            // Too many to carry: drop the highest half of the span (they will be processed
            // again).
            long highest = Math.max(finishedAbove.isEmpty() ? commitOffset : finishedAbove.last(),
                    startedAbove.isEmpty() ? commitOffset : startedAbove.last());
            long keepBelow = commitOffset + (highest - commitOffset) / 2;
            finishedAbove = new TreeSet<>(finishedAbove.headSet(keepBelow, false));
            startedAbove = new TreeSet<>(startedAbove.headSet(keepBelow, false));
        }
    }

    /**
     * Decodes what {@link #encode(long)} wrote for this very {@code commitOffset}; anything else (metadata written
     * for another offset, another tool's metadata, garbage) is empty.
     */
    public static OffsetMetadata decode(String metadata, long commitOffset) {
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return empty();
        }
        String[] parts = metadata.substring(PREFIX.length()).split(":", -1);
        if (parts.length != 3) {
            return empty();
        }
        try {
            if (Long.parseLong(parts[0]) != commitOffset) {
                return empty(); // written for another offset: its bits would land on other records
            }
            return new OffsetMetadata(offsets(parts[1], commitOffset), offsets(parts[2], commitOffset));
        } catch (IllegalArgumentException e) {
            return empty();
        }
    }

    private static String bits(NavigableSet<Long> offsets, long base) {
        BitSet bits = new BitSet();
        for (long offset : offsets) {
            bits.set(Math.toIntExact(offset - base));
        }
        return Base64.getEncoder().withoutPadding().encodeToString(bits.toByteArray());
    }

    private static NavigableSet<Long> offsets(String encoded, long base) {
        BitSet bits = BitSet.valueOf(Base64.getDecoder().decode(encoded));
        NavigableSet<Long> offsets = new TreeSet<>();
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            offsets.add(base + i);
        }
        return offsets;
    }
}
