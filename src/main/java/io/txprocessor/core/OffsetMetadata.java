package io.txprocessor.core;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.BitSet;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * What a commit carries besides its offset, so the partition's next owner knows what this instance already did past
 * the first unfinished record: offsets that are finished (skip them: no transaction completed twice) and offsets
 * that were started but not finished (count them as re-deliveries when they come back).
 *
 * <p>
 * Format: {@code txp3:<base>:<finished>:<started>}, where {@code base} is the offset the metadata was committed with
 * and each set is empty, {@code b} and a base64 bit set (bit i stands for {@code base + i}), or {@code r} and base64
 * unsigned varints, alternately the length of a gap and of a run of offsets in the set, from {@code base} on:
 * whichever is shorter. A few slow records in a wide window are a few runs (a few bytes); the worst pattern for runs
 * (every other offset) is a bit set.
 *
 * <p>
 * <b>The promise, and its worst case.</b> Kafka refuses a commit whose metadata is longer than
 * {@code offset.metadata.max.bytes}, 4,096 by default ({@link #MAX_LENGTH}). The finished set of a span of
 * {@link #MAX_SPAN} offsets is at most {@code MAX_SPAN / 8} bytes as a bit set, {@value #WORST_CASE_LENGTH} characters
 * with the longest base: it is always carried whole. The {@link EngineCore} starts no record further than
 * {@code MAX_SPAN} offsets past its partition's first unfinished one, so no finished offset is ever left out and a
 * hand-off never repeats finished work. Started offsets fill the room left, lowest first: leaving one out costs only
 * a re-delivery that is not counted.
 *
 * <p>
 * The bits are trusted only when the committed offset still is {@code base}: MirrorMaker 2's offset sync, a
 * {@code --reset-offsets} or an operator's {@code alterConsumerGroupOffsets} move the offset and copy the metadata,
 * and bits read against another offset would mark records finished that never were. Such metadata (and the
 * base-less {@code txp1} format of 1.0) is ignored: the records are processed again, never skipped. The bit-set-only
 * {@code txp2} format of earlier versions is still read, so a rolling upgrade repeats nothing.
 *
 * @param finished
 *            offsets at or above the commit offset that are finished
 * @param started
 *            offsets at or above the commit offset that were started and not finished
 */
public record OffsetMetadata(NavigableSet<Long> finished, NavigableSet<Long> started) {

    static final String PREFIX = "txp3:";
    static final String PREVIOUS_PREFIX = "txp2:";
    /** Kafka's default {@code offset.metadata.max.bytes}: the broker refuses longer metadata. */
    public static final int MAX_LENGTH = 4096;
    /**
     * The widest span, from a partition's first unfinished offset, whose finished offsets always fit: the engine
     * starts nothing beyond it.
     */
    public static final int MAX_SPAN = 24_000;
    /** The longest metadata a finished set within {@link #MAX_SPAN} makes: prefix, a 19-digit base, the bit set. */
    static final int WORST_CASE_LENGTH = 5 + 19 + 1 + 1 + (MAX_SPAN / 8 * 4 + 2) / 3 + 1;

    static {
        if (WORST_CASE_LENGTH > MAX_LENGTH) {
            throw new AssertionError("MAX_SPAN does not fit in Kafka's metadata limit");
        }
    }

    private static final char BITS = 'b';
    private static final char RUNS = 'r';

    public static OffsetMetadata empty() {
        return new OffsetMetadata(new TreeSet<>(), new TreeSet<>());
    }

    /**
     * Encodes the sets relative to {@code commitOffset}; offsets below it are dropped (they are committed). Every
     * finished offset within {@link #MAX_SPAN} of it is carried; started ones as room allows.
     */
    public String encode(long commitOffset) {
        NavigableSet<Long> finishedAbove = finished.tailSet(commitOffset, true);
        String prefix = PREFIX + commitOffset + ":";
        String finishedPart = shorter(finishedAbove, commitOffset);
        if (prefix.length() + finishedPart.length() + 1 > MAX_LENGTH) {
            // Only for a span wider than MAX_SPAN, which the engine never lets start: the lowest finished offsets
            // that fit (the rest is processed again, never lost), and no started ones.
            return prefix + lowestThatFit(finishedAbove, commitOffset, MAX_LENGTH - prefix.length() - 1) + ":";
        }
        String head = prefix + finishedPart + ":";
        return head + lowestThatFit(started.tailSet(commitOffset, true), commitOffset, MAX_LENGTH - head.length());
    }

    /**
     * Decodes what {@link #encode(long)} (or the {@code txp2} format before it) wrote for this very
     * {@code commitOffset}; anything else (metadata written for another offset, another tool's metadata, garbage) is
     * empty.
     */
    public static OffsetMetadata decode(String metadata, long commitOffset) {
        boolean current = metadata != null && metadata.startsWith(PREFIX);
        boolean previous = metadata != null && metadata.startsWith(PREVIOUS_PREFIX);
        if (!current && !previous) {
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
            return current
                    ? new OffsetMetadata(set(parts[1], commitOffset), set(parts[2], commitOffset))
                    : new OffsetMetadata(fromBits(parts[1], commitOffset), fromBits(parts[2], commitOffset));
        } catch (IllegalArgumentException | ArithmeticException e) {
            return empty();
        }
    }

    /** The shorter encoding of the set: empty, a bit set or runs. */
    private static String shorter(NavigableSet<Long> offsets, long base) {
        if (offsets.isEmpty()) {
            return "";
        }
        String bits = BITS + bits(offsets, base);
        String runs = RUNS + runs(offsets, base);
        return runs.length() < bits.length() ? runs : bits;
    }

    /** The lowest offsets of the set whose encoding fits in {@code room} characters: all of them when they fit. */
    private static String lowestThatFit(NavigableSet<Long> offsets, long base, int room) {
        String all = shorter(offsets, base);
        if (all.length() <= room) {
            return all;
        }
        // The encoding grows with the number of offsets kept: the largest count that fits, by bisection.
        Long[] sorted = offsets.toArray(new Long[0]);
        int fits = 0;
        int fitsNot = sorted.length;
        while (fitsNot - fits > 1) {
            int middle = (fits + fitsNot) >>> 1;
            if (shorter(offsets.headSet(sorted[middle - 1], true), base).length() <= room) {
                fits = middle;
            } else {
                fitsNot = middle;
            }
        }
        return fits == 0 ? "" : shorter(offsets.headSet(sorted[fits - 1], true), base);
    }

    private static NavigableSet<Long> set(String encoded, long base) {
        if (encoded.isEmpty()) {
            return new TreeSet<>();
        }
        return switch (encoded.charAt(0)) {
            case BITS -> fromBits(encoded.substring(1), base);
            case RUNS -> fromRuns(encoded.substring(1), base);
            default -> throw new IllegalArgumentException("unknown set encoding " + encoded.charAt(0));
        };
    }

    private static String bits(NavigableSet<Long> offsets, long base) {
        BitSet bits = new BitSet();
        for (long offset : offsets) {
            bits.set(Math.toIntExact(offset - base));
        }
        return Base64.getEncoder().withoutPadding().encodeToString(bits.toByteArray());
    }

    private static NavigableSet<Long> fromBits(String encoded, long base) {
        BitSet bits = BitSet.valueOf(Base64.getDecoder().decode(encoded));
        NavigableSet<Long> offsets = new TreeSet<>();
        for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
            offsets.add(base + i);
        }
        return offsets;
    }

    /** Alternately the gap before a run and the run's length, as unsigned varints (7 bits a byte). */
    private static String runs(NavigableSet<Long> offsets, long base) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long next = base; // the first offset after the previous run
        Long runStart = null;
        long runEnd = 0;
        for (long offset : offsets) {
            if (runStart != null && offset == runEnd) {
                runEnd++;
                continue;
            }
            if (runStart != null) {
                varint(out, runStart - next);
                varint(out, runEnd - runStart);
                next = runEnd;
            }
            runStart = offset;
            runEnd = offset + 1;
        }
        varint(out, runStart - next);
        varint(out, runEnd - runStart);
        return Base64.getEncoder().withoutPadding().encodeToString(out.toByteArray());
    }

    private static NavigableSet<Long> fromRuns(String encoded, long base) {
        byte[] bytes = Base64.getDecoder().decode(encoded);
        NavigableSet<Long> offsets = new TreeSet<>();
        long next = base;
        int[] at = {0};
        while (at[0] < bytes.length) {
            long start = next + readVarint(bytes, at);
            long length = readVarint(bytes, at);
            if (length <= 0 || start + length - base > 4L * MAX_SPAN) {
                // Nothing this class writes reaches that far: garbage, which must not fill the heap.
                throw new IllegalArgumentException("run " + start + "+" + length + " out of range");
            }
            for (long offset = start; offset < start + length; offset++) {
                offsets.add(offset);
            }
            next = start + length;
        }
        return offsets;
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }

    private static long readVarint(byte[] bytes, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            if (at[0] >= bytes.length) {
                throw new IllegalArgumentException("truncated varint");
            }
            byte b = bytes[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
