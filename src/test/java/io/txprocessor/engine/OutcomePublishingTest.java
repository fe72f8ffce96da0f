package io.txprocessor.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.txprocessor.core.Deadline;
import io.txprocessor.publish.StateEvent;
import io.txprocessor.publish.StateEvent.State;
import io.txprocessor.transaction.TestTransactionsConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * What the engine does with the producer, on Kafka's {@code MockProducer} with the real engine, publisher and
 * exactly-once commits around it: which thread re-sends an outcome the broker can never take, what a transaction
 * carries to be fenced, what a commit that times out and a routine abort lead to. Handlers return at once; every
 * wait is for a condition.
 */
class OutcomePublishingTest {

    private static final TopicPartition P0 = new TopicPartition("transactions", 0);
    private static final TopicPartition P1 = new TopicPartition("transactions", 1);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());
    /** What the consumer's groupMetadata() says: the broker fences a transaction's offsets by it. */
    private static final ConsumerGroupMetadata GROUP = new ConsumerGroupMetadata("transaction-processor", 7,
            "member-1", Optional.empty());

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicInteger exitStatus = new AtomicInteger(-1);
    private RecordingProducer producer;
    private EngineGraph graph;
    private CoreLock lock;
    private PartitionWork partitionWork;
    private TransactionLifecycle transactions;

    /**
     * A {@code MockProducer} that remembers which thread sent each record and, like the real producer, whose
     * {@code commitTransaction} can time out, after which it refuses any other transactional call but a retry.
     */
    static final class RecordingProducer extends MockProducer<byte[], byte[]> {
        final List<String> sendThreads = new CopyOnWriteArrayList<>();
        final AtomicInteger commitTimeouts = new AtomicInteger();
        final AtomicInteger commitAttempts = new AtomicInteger();
        private volatile boolean commitTimedOut;

        RecordingProducer(boolean autoComplete) {
            super(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized java.util.concurrent.Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record,
                Callback callback) {
            sendThreads.add(Thread.currentThread().getName());
            return super.send(record, callback);
        }

        @Override
        public void commitTransaction() {
            commitAttempts.incrementAndGet();
            if (commitTimeouts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                commitTimedOut = true;
                throw new TimeoutException("Timeout expired after 10000ms while awaiting EndTxn(COMMIT)");
            }
            commitTimedOut = false;
            super.commitTransaction();
        }

        @Override
        public void abortTransaction() {
            if (commitTimedOut) {
                // KafkaProducer's TransactionManager, word for word.
                throw new IllegalStateException("Cannot attempt operation `abortTransaction` because the previous "
                        + "call to `commitTransaction` timed out and must be retried");
            }
            // As the real producer: sends of the aborted transaction still underway fail (the mock would complete
            // them, flushing).
            while (errorNext(new TransactionAbortedException("Failing batch since transaction was aborted"))) {
                // one send at a time
            }
            super.abortTransaction();
        }
    }

    private void start(boolean exactlyOnce, boolean autoComplete) {
        TransactionsConfig config = TestTransactionsConfig
                .with(exactlyOnce ? Map.of("transactions.delivery", "exactly-once") : Map.of());
        producer = new RecordingProducer(autoComplete);
        graph = new EngineGraph(config, null, producer, (transaction, context) -> {
        }, registry, exitStatus::set);
        lock = graph.lock;
        partitionWork = graph.partitionWork;
        transactions = exactlyOnce ? graph.transactions() : null;
    }

    /**
     * Starts, assigns P0, and lets its record tx-0 run: its outcome is sent (exactly once, into the open transaction)
     * and, with {@code autoComplete}, acknowledged.
     */
    private void startWithOneOutcomeSent(boolean exactlyOnce, boolean autoComplete) {
        start(exactlyOnce, autoComplete);
        partitionWork.assigned(P0, null, 0);
        submit(P0, 0, "tx-0");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> (exactlyOnce ? producer.uncommittedRecords() : producer.history()).size() == 1);
    }

    @AfterEach
    void stop() {
        if (graph != null) {
            graph.close();
        }
    }

    /** One record as a poll returns it: stamped with its partition's assignment, as the interceptor does. */
    private void submit(TopicPartition partition, long offset, String id) {
        String value = "{\"id\":\"" + id + "\",\"account\":\"acc-" + id
                + "\",\"amount\":\"1.00\",\"currency\":\"EUR\"}";
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                utf8("acc-" + id), utf8(value));
        record.headers().add(FetchStamp.of(lock.call(core -> core.epochOf(partition))));
        graph.engine.submit(new ConsumerRecords<>(Map.of(partition, List.of(record)), Map.of()));
    }

    private static Deadline in(Duration duration) {
        return Deadline.after(System.nanoTime(), duration);
    }

    private static List<String> ids(List<ProducerRecord<byte[], byte[]>> records) {
        return records.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8))
                .map(json -> json.replaceAll(".*\"id\":\"([^\"]*)\".*", "$1")).toList();
    }

    private double publishFailures(String kind) {
        var counter = registry.find("transactions.publish.failures").tag("kind", kind).functionCounter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aDeadLetterForAnOutcomeTheBrokerCanNeverTakeIsNotSentFromTheProducersCallbackThread() {
        startWithOneOutcomeSent(false, false);

        // This thread stands for the producer's I/O thread: the callback of the failed send runs on it. A send from
        // there would block it (max.block.ms) while the dead-letter topic's metadata is fetched, and that thread is
        // the one that fetches it.
        producer.errorNext(new RecordTooLargeException("the state event is larger than the broker accepts"));
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.history().size() == 2);

        assertThat(producer.history().get(1).topic()).isEqualTo("transactions-dlq");
        assertThat(producer.sendThreads.get(1)).as("the thread that sent the dead letter")
                .isNotEqualTo(Thread.currentThread().getName());
    }

    @Test
    void aTransactionWhoseOnlySendsAreSuspendedEventsStillCarriesOffsetsSoTheBrokerFencesIt() {
        startWithOneOutcomeSent(true, true);
        assertThat(commit(Set.of(P0)).committed()).isTrue();

        // A drain's SUSPENDED event for a record of P0 that ran: nothing of P0's offsets changed since.
        StateEvent suspended = new StateEvent("tx-1", "acc-tx-1", State.SUSPENDED, "rebalance", P0.topic(), 0, 1,
                "vm", Instant.now(), Instant.now());
        graph.delivery.publishSuspended(suspended).join();
        TransactionLifecycle.Result result = commit(Set.of(P0));

        assertThat(result.committed()).isTrue();
        assertThat(producer.consumerGroupOffsetsHistory()).as("offsets sent with each committed transaction")
                .hasSize(2);
        assertThat(producer.consumerGroupOffsetsHistory().get(1).get(GROUP.groupId())).containsKey(P0);
    }

    @Test
    void aTransactionHoldingAnOutcomeOfAPartitionAssignedAfterItsMembershipWasReadAbortsAndCommitsItNextTime() {
        start(true, true);
        partitionWork.assigned(P0, null, 0);
        Set<TopicPartition> membership = Set.of(P0); // read on the polling thread for the timer's commit
        partitionWork.assigned(P1, null, 0); // then a rebalance gives this member P1 as well
        submit(P1, 0, "tx-p1");
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.uncommittedRecords().size() == 1);

        TransactionLifecycle.Result stale = commit(membership);

        assertThat(stale.committed()).as("committed with a membership that does not know P1: %s", stale.error())
                .isFalse();
        assertThat(ids(producer.history())).as("outcomes visible").isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.uncommittedRecords().size() == 1);
        TransactionLifecycle.Result next = commit(Set.of(P0, P1));
        assertThat(next.committed()).isTrue();
        assertThat(ids(producer.history())).as("outcomes visible").containsExactly("tx-p1");
        assertThat(next.offsets()).as("offsets of the transaction that made tx-p1 visible")
                .containsEntry(P1, next.offsets().get(P1)).extractingByKey(P1).extracting(OffsetAndMetadata::offset)
                .isEqualTo(1L);
    }

    @Test
    void aCommitThatTimesOutIsRetriedNotAborted() {
        startWithOneOutcomeSent(true, true);
        producer.commitTimeouts.set(1);

        TransactionLifecycle.Result result = commit(Set.of(P0));

        assertThat(result.committed()).as("committed: %s", result.error()).isTrue();
        assertThat(producer.commitAttempts).hasValue(2);
        assertThat(ids(producer.history())).containsExactly("tx-0");
        assertThat(transactions.fenced()).isFalse();
        assertThat(exitStatus).as("exit status asked for (-1: none)").hasValue(-1);
    }

    @Test
    void aCommitWhoseOutcomeStaysUnknownUntilTheDeadlineExitsWithNothingFinished() {
        startWithOneOutcomeSent(true, true);
        producer.commitTimeouts.set(Integer.MAX_VALUE);

        TransactionLifecycle.Result result = commit(Set.of(P0), Duration.ofMillis(500));

        assertThat(result.committed()).isFalse();
        assertThat(result.error()).contains("unknown");
        assertThat(exitStatus).as("exit status: the producer cannot go on").hasValue(1);
        assertThat(lock.call(core -> core.commitOffsets(P0::equals, false)).get(P0).offset())
                .as("what a commit would pass: nothing, the outcome may or may not be visible").isZero();
    }

    @Test
    void sendsCutOffByARoutineAbortAreNotPublishFailures() {
        startWithOneOutcomeSent(true, false);

        transactions.abort("partitions lost [transactions-1]", () -> {
        });

        // The outcome goes into the next transaction, which commits it: the abort poisoned nothing.
        await().atMost(Duration.ofSeconds(30)).until(() -> producer.uncommittedRecords().size() == 1);
        assertThat(publishFailures("retriable")).as("retriable publish failures counted").isZero();
        assertThat(publishFailures("unpublishable")).isZero();
        producer.completeNext();
        TransactionLifecycle.Result next = commit(Set.of(P0));
        assertThat(next.committed()).as("the next transaction: %s", next.error()).isTrue();
        assertThat(ids(producer.history())).containsExactly("tx-0");
    }

    @Test
    void aDrainsCommitWaitsForACommitUnderwayOnlyUntilItsDeadlineAndStillHandsItsScopeOff() throws Exception {
        start(true, true);
        partitionWork.assigned(P0, null, 0);
        // The timer's commit holds the transaction closed, stuck on a broker that does not answer.
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread timer = new Thread(() -> {
            try (ProducerTransaction.Closed open = transactions.transaction().close(Long.MAX_VALUE)) {
                closed.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-timer-commit");
        timer.start();
        try {
            closed.await();
            AtomicInteger handedOff = new AtomicInteger();
            long start = System.nanoTime();

            TransactionLifecycle.Result result = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    Duration.ofSeconds(10), () -> transactions.commit(GROUP, Set.of(P0), in(Duration.ofMillis(300)),
                            true, handedOff::incrementAndGet));

            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the drain's commit, on a 300 ms deadline")
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(result.committed()).isFalse();
            assertThat(result.error()).contains("deadline");
            assertThat(handedOff).as("the scope handed off all the same").hasValue(1);
        } finally {
            release.countDown();
            timer.join();
        }
    }

    private TransactionLifecycle.Result commit(Set<TopicPartition> membership) {
        return commit(membership, Duration.ofSeconds(10));
    }

    private TransactionLifecycle.Result commit(Set<TopicPartition> membership, Duration within) {
        try {
            return transactions.commit(GROUP, membership, in(within), false, () -> {
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
