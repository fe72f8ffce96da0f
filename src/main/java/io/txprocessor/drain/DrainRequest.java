package io.txprocessor.drain;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;

import io.txprocessor.core.Deadline;
import io.txprocessor.engine.OnConsumer;

/**
 * One drain to run: which partitions, since when, until when, and where its commit runs.
 *
 * @param trigger what started it
 * @param scope the partitions it drains; new records of them must already have stopped starting
 * @param startedAt when it began (SIGTERM for a shutdown)
 * @param inFlightAtStart records of the scope in flight when it began, before anything was stopped
 * @param allowed the time it was given in all, for the report
 * @param deadline the one deadline every step works to
 * @param commitOn where its commit runs: on the consumer inside a rebalance callback, or on the polling thread
 */
public record DrainRequest(Trigger trigger, Predicate<TopicPartition> scope, Instant startedAt, int inFlightAtStart,
        Duration allowed, Deadline deadline, OnConsumer commitOn) {
}
