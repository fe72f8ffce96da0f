package io.txprocessor.engine;

import java.util.function.IntConsumer;

import org.apache.kafka.clients.producer.Producer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.micrometer.core.instrument.MeterRegistry;
import io.txprocessor.drain.DrainConfig;
import io.txprocessor.drain.DrainSequence;
import io.txprocessor.drain.DrainStatus;
import io.txprocessor.drain.RebalanceDrain;
import io.txprocessor.drain.ReportLines;
import io.txprocessor.metrics.ProcessorMetrics;
import io.txprocessor.publish.InstanceName;
import io.txprocessor.publish.StatePublisher;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionParser;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * The engine and its drains, wired by hand as CDI wires them, for tests of pure logic on Kafka's
 * {@code MockProducer}: the one place that knows the order the objects need each other in. No consumer: the test
 * drives the engine with records and rebalance callbacks of its own.
 */
public final class EngineGraph {

    public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    public final TransactionsConfig config;
    public final ProcessorMetrics metrics;
    public final CoreLock lock;
    public final PartitionWork partitionWork;
    public final StatePublisher publisher;
    public final Delivery delivery;
    public final ProcessingEngine engine;
    public final PollWatch watch;
    public final PartitionStarts starts;
    public final DrainSequence sequence;
    public final RebalanceDrain drain;

    /**
     * @param producer the state producer, a {@code MockProducer} (prepared here as {@link DeliveryChoice} prepares
     *        the real one)
     * @param exit what a fenced producer's exit calls instead of Quarkus
     */
    public EngineGraph(TransactionsConfig config, DrainConfig drainConfig, Producer<byte[], byte[]> producer,
            TransactionHandler handler, MeterRegistry registry, IntConsumer exit) {
        this.config = config;
        this.metrics = new ProcessorMetrics(registry);
        this.lock = new CoreLock(config);
        this.partitionWork = new PartitionWork(lock, metrics, new InstanceName());
        this.publisher = new StatePublisher(config, DeliveryChoice.prepared(producer, config));
        this.delivery = DeliveryChoice.choose(config, lock, partitionWork, publisher, producer, metrics,
                new CommitSoon(), exit);
        this.engine = new ProcessingEngine(lock, config, handler, new TransactionParser(JSON, config), delivery,
                metrics, new InstanceName());
        this.watch = new PollWatch(partitionWork, lock, null, config);
        this.starts = new PartitionStarts(partitionWork, watch, metrics);
        ReportLines lines = new ReportLines(JSON);
        DrainStatus status = new DrainStatus();
        this.sequence = new DrainSequence(partitionWork, delivery, metrics, drainConfig, lines, status);
        this.drain = new RebalanceDrain(partitionWork, starts, sequence, status, drainConfig, delivery, lines);
    }

    /** Exactly once: the transactions, for tests that commit or hold them themselves. */
    TransactionLifecycle transactions() {
        return ((ExactlyOnce) delivery).transactions();
    }

    /** Stops the engine's and the delivery's threads. */
    public void close() {
        engine.close();
        delivery.close();
    }
}
