package io.txprocessor.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import io.txprocessor.transaction.TestTransactionsConfig;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Preparing the exactly-once state producer at start. Each {@code initTransactions} attempt blocks up to
 * {@code max.block.ms}, which a revocation drain keeps at half the rebalance timeout (1.5 s with a 3 s one); on a
 * broker's first transactional use its coordinator is still being created then (CI: "Timeout expired after 1500ms
 * while awaiting InitProducerId", and the start failed). The start has the publish timeout for it.
 */
class PreparedProducerTest {

    /** Like KafkaProducer: an attempt that times out blocks for max.block.ms first, here 20 ms. */
    static final class SlowCoordinator extends MockProducer<byte[], byte[]> {

        final AtomicInteger attempts = new AtomicInteger();
        private final int timeouts;

        SlowCoordinator(int timeouts) {
            super(false, null, new ByteArraySerializer(), new ByteArraySerializer());
            this.timeouts = timeouts;
        }

        @Override
        public void initTransactions() {
            if (attempts.incrementAndGet() <= timeouts) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new TimeoutException("Timeout expired after 20ms while awaiting InitProducerId");
            }
            super.initTransactions();
        }
    }

    private static TransactionsConfig exactlyOnce(String publishTimeout) {
        return TestTransactionsConfig.with(Map.of("transactions.delivery", "exactly-once",
                "transactions.publish-timeout", publishTimeout));
    }

    @Test
    void anInitTransactionsThatTimedOutIsRetriedWithinThePublishTimeoutAndTheFirstTransactionBegun() {
        SlowCoordinator producer = new SlowCoordinator(3);

        DeliveryChoice.prepared(producer, exactlyOnce("10s"));

        assertThat(producer.attempts).hasValue(4);
        assertThat(producer.transactionInitialized()).isTrue();
        assertThat(producer.transactionInFlight()).as("the first transaction begun").isTrue();
    }

    @Test
    void aCoordinatorNotFoundWithinThePublishTimeoutFailsTheStartWithKafkasTimeout() {
        SlowCoordinator producer = new SlowCoordinator(Integer.MAX_VALUE);
        long start = System.nanoTime();

        assertThatThrownBy(() -> DeliveryChoice.prepared(producer, exactlyOnce("300ms")))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("InitProducerId");

        assertThat(producer.attempts.get()).as("attempts within 300 ms").isGreaterThan(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("gave up once the publish timeout had passed")
                .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(producer.transactionInitialized()).isFalse();
    }
}
