package io.txprocessor.engine;

import java.nio.ByteBuffer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import io.txprocessor.core.Arrival;

/**
 * Which assignment of its partition a record was fetched in, carried from the poll to the engine through the
 * connector's queue as a header of the record. The connector queues whole polls ahead of the engine, and a loss, a
 * revocation or a failed look-up of a partition's start can come and go while a batch waits there; without the
 * stamp that batch would be booked into the partition's next assignment above its start ({@link Arrival#STALE}).
 *
 * <p>
 * {@link PollWatch}'s interceptor stamps every record inside {@code poll()}, on the polling thread, with the epoch the
 * engine had for its partition then: assignments change on that same thread, inside {@code poll()} too, before the
 * records are returned. {@link #take} removes the header again before anything else sees the record, so dead letters
 * are forwarded with the headers the producer wrote.
 */
final class FetchStamp {

    static final String HEADER = "txprocessor-fetched-in";

    private FetchStamp() {
    }

    /** The header for records of a partition in its assignment {@code epoch}: one instance per partition and poll. */
    static Header of(long epoch) {
        return new RecordHeader(HEADER, ByteBuffer.allocate(Long.BYTES).putLong(epoch).array());
    }

    /**
     * The epoch the record was fetched in, its header removed. A record that never went through the interceptor
     * (nothing in the service polls without it) counts as fetched before any assignment: it is never processed.
     */
    static long take(ConsumerRecord<?, ?> record) {
        Header stamp = record.headers().lastHeader(HEADER);
        if (stamp == null || stamp.value() == null || stamp.value().length != Long.BYTES) {
            return 0;
        }
        record.headers().remove(HEADER);
        return ByteBuffer.wrap(stamp.value()).getLong();
    }
}
