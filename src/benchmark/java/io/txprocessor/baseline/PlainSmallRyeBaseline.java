package io.txprocessor.baseline;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.reactive.messaging.kafka.Record;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.transaction.InvalidTransactionException;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionParser;

/**
 * The benchmark's Quarkus baseline, not part of the service: the same job (consume, parse, publish a state
 * event, commit) written the plain SmallRye way, an {@code @Incoming}/{@code @Outgoing} method with the
 * connector's default throttled commit. Built only by the benchmark profile (src/benchmark), never shipped; the benchmark configures and enables its channels by environment
 * ({@code MP_MESSAGING_INCOMING_BASELINE_ENABLED=true}, {@code MP_MESSAGING_OUTGOING_BASELINE_STATES_ENABLED=true}).
 */
@ApplicationScoped
public class PlainSmallRyeBaseline {

    private final TransactionParser parser;
    private final ObjectMapper mapper;
    private final String instance;

    public PlainSmallRyeBaseline(TransactionParser parser, ObjectMapper mapper, InstanceName instance) {
        this.parser = parser;
        this.mapper = mapper;
        this.instance = instance.value();
    }

    @Incoming("baseline")
    @Outgoing("baseline-states")
    public Record<String, String> process(ConsumerRecord<byte[], byte[]> record)
            throws InvalidTransactionException, JsonProcessingException {
        Transaction tx = parser.parse(record.value());
        Instant now = Instant.now();
        StateEvent event = new StateEvent(tx.id(), tx.account(), State.COMPLETED, null, record.topic(),
                record.partition(), record.offset(), instance, now, now);
        return Record.of(tx.id(), mapper.writeValueAsString(event));
    }
}
