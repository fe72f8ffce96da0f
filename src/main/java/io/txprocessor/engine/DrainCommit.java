package io.txprocessor.engine;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.txprocessor.publish.StateEvent;

/**
 * What the commit at the end of a drain did ({@link Delivery#commitDrain}).
 *
 * @param offsets the offsets committed; empty when the commit failed
 * @param unconfirmed the outcomes handed off unconfirmed: whether the broker has them is unknown
 * @param unconfirmedWhy why they were, for the log
 * @param unpublished the drain's SUSPENDED events that did not become visible
 * @param error why the commit failed; null when it did not
 */
public record DrainCommit(Map<TopicPartition, OffsetAndMetadata> offsets, List<String> unconfirmed,
        String unconfirmedWhy, List<StateEvent> unpublished, String error) {
}
