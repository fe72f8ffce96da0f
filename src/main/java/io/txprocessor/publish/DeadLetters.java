package io.txprocessor.publish;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** What a dead letter carries besides the input record: headers naming the error and where the record came from. */
public final class DeadLetters {

    /** Dead-letter headers, named as the SmallRye connector names its own. */
    public static final String DLQ_REASON = "dead-letter-reason";
    public static final String DLQ_CAUSE = "dead-letter-cause";
    public static final String DLQ_TOPIC = "dead-letter-topic";
    public static final String DLQ_PARTITION = "dead-letter-partition";
    public static final String DLQ_OFFSET = "dead-letter-offset";
    /** Set when the value could not be carried: it stays in the source topic at the offset the headers name. */
    public static final String DLQ_VALUE_OMITTED = "dead-letter-value-omitted";

    private DeadLetters() {
    }

    /**
     * The dead letter's headers: the record's own, then ours, the reason and the cause cut to
     * {@link BoundedText#MAX_CHARS}.
     */
    public static Headers headers(ConsumerRecord<byte[], byte[]> record, String reason, String cause,
            boolean omitValue) {
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(header);
        }
        // Both come from the failure (the parser's message quotes the input): bounded, like a state event's reason.
        headers.add(DLQ_REASON, utf8(BoundedText.of(reason)));
        headers.add(DLQ_CAUSE, utf8(BoundedText.of(cause)));
        headers.add(DLQ_TOPIC, utf8(record.topic()));
        headers.add(DLQ_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(DLQ_OFFSET, utf8(Long.toString(record.offset())));
        if (omitValue) {
            // A tombstone has no value to omit; the header is still set, since the engine asked for it.
            headers.add(DLQ_VALUE_OMITTED, utf8(record.value() == null
                    ? "the record had no value"
                    : "value of " + record.value().length + " bytes too large to forward"));
        }
        return headers;
    }

    private static byte[] utf8(String text) {
        return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
    }
}
