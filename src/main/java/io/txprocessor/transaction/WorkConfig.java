package io.txprocessor.transaction;

import java.time.Duration;
import java.util.Optional;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

/**
 * How much the processor does at once, in which order, and how often it commits what finished. Part of {@link TransactionsConfig}: the properties keep the {@code transactions.} prefix.
 */
public interface WorkConfig {

    /**
     * Records processed at the same time, across all partitions (worker threads).
     */
    @WithDefault("64")
    int maxConcurrency();

    /**
     * Offsets the processor holds at most, counted per partition from its first unfinished record to the last one
     * fetched (finished records behind a slow one count too); above it, fetching pauses until the first unfinished
     * ones finish. Bounds memory and the finished offsets a commit must carry, even behind a stuck record. Unset:
     * 2000, or 8 × {@code max-concurrency} when that is more (the window must hold every worker's record and those
     * finished behind the slowest; at 2000, 1,024 workers did a quarter of what 8,192 let them do); exactly once,
     * 20000 or 8 × {@code max-concurrency}, since records stay in it until their transaction commits and every
     * commit costs round trips to the broker.
     */
    Optional<Integer> maxPendingRecords();

    /**
     * Bytes (key plus value) of the records the processor holds at most, besides {@code max-pending-records}: a
     * backlog of large records pauses fetching before it exhausts the heap. Unset: a quarter of the maximum heap.
     * Accepts sizes like {@code 64M}.
     */
    @WithConverter(MemorySizeConverter.class)
    Optional<MemorySize> maxPendingBytes();

    /**
     * Which records must not run at the same time: {@code key} (per record key, the account id by the input
     * contract; records without a key per partition), {@code partition}, {@code unordered}.
     */
    @WithDefault("key")
    TransactionsConfig.Ordering ordering();

    /**
     * How often finished offsets are committed while running; exactly once, how often a producer transaction commits
     * (so how long a state event takes at most to become visible to {@code read_committed} readers).
     */
    @WithDefault("1s")
    Duration commitInterval();
}
