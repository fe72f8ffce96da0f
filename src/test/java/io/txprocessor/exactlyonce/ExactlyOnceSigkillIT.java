package io.txprocessor.exactlyonce;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;

/**
 * SIGKILL in exactly-once mode ({@code TRANSACTIONS_DELIVERY=exactly-once}). The killed instance's open producer
 * transaction (the outcomes since its last commit, and their input offsets) is never committed: read_committed readers
 * never see those outcomes, and the next owner processes the records again without a repeat they can see. Until that
 * transaction is decided it holds back every read_committed reader of the states topic: a restart under another
 * name (another transactional.id) waits for it to time out, a restart under the same name fences it at once. Both
 * stalls are printed: they are the figures the README quotes.
 *
 * <p>
 * The stall is measured from the SIGKILL to the moment a read_committed reader can read past everything that was
 * written to the states topic at the kill (on every partition): that is when it first gets past what it could see at
 * the kill, whoever writes next. A timed-out transaction is aborted by the broker's periodic check
 * ({@code transaction.abort.timed.out.transaction.cleanup.interval.ms}, 10 s by default, not changed by the test
 * broker), so the stall under another name lies between the transaction timeout and that plus 10 s.
 *
 * <p>
 * Classic group protocol only: neither the kill nor the transaction's fate depends on it, and each case starts two
 * JVMs (5-10 s each here); both protocols would take the exactly-once tests past their four-minute budget.
 */
@ExtendWith(SharedBroker.class)
class ExactlyOnceSigkillIT {

    private static final int RECORDS = 3000;
    /** The killed instance's name (HOSTNAME). */
    private static final String FIRST = "first";
    /** The broker's default transaction.abort.timed.out.transaction.cleanup.interval.ms. */
    private static final Duration ABORT_CHECK_INTERVAL = Duration.ofSeconds(10);

    @Test
    void aRestartUnderAnotherNameWaitsForTheKilledTransactionToTimeOutAndReadCommittedReadersSeeEachIdCompletedOnce(
            KafkaBroker broker) {
        Duration transactionTimeout = Duration.ofSeconds(5);
        // At most: the timeout, the broker's next check, and room for two busy cores. A service that did not pass its
        // timeout to the producer (whose own default is 60 s) fails here.
        Duration bound = transactionTimeout.plus(ABORT_CHECK_INTERVAL).plusSeconds(10);
        Duration stall = killMidLoadAndRestart(broker, "eos-kill-other", "second", transactionTimeout, bound);
        // Another transactional.id cannot fence the killed one: nothing but the timeout ends the transaction, and it
        // began at most a few hundred milliseconds before the kill (just after a commit).
        assertThat(stall).as("SIGKILL to read_committed readers getting past what was written at the kill")
                .isGreaterThanOrEqualTo(transactionTimeout.minusSeconds(1));
    }

    @Test
    void aRestartUnderTheSameNameFencesTheKilledTransactionAtOnceAndReadCommittedReadersSeeEachIdCompletedOnce(
            KafkaBroker broker) {
        // A timeout far longer than a restart: readers released before it means the restart fenced the transaction.
        Duration transactionTimeout = Duration.ofSeconds(60);
        // The restart's JVM start (up to ~20 s on two busy cores) plus, should its producer start only with its first
        // assignment, the killed member's session timeout (10 s), with room; well short of the 60 s.
        Duration bound = Duration.ofSeconds(45);
        killMidLoadAndRestart(broker, "eos-kill-same", FIRST, transactionTimeout, bound);
    }

    /**
     * Instance {@value #FIRST} processes a few thousand records (20-50 ms each, committing every second) and is
     * SIGKILLed with a transaction open; an instance named {@code restartName} starts at once and processes
     * everything. Returns the stall, having checked that it ended within {@code stallBound} and that read_committed
     * readers see every id COMPLETED exactly once.
     */
    private static Duration killMidLoadAndRestart(KafkaBroker broker, String prefix, String restartName,
            Duration transactionTimeout, Duration stallBound) {
        Topics topics = new Topics(broker, prefix, 6);
        List<String> ids = topics.produceTransactions(RECORDS, 1000);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_DELIVERY", "exactly-once");
        env.put("TRANSACTIONS_TRANSACTION_TIMEOUT", transactionTimeout.toSeconds() + "s");
        // The start-up rule: the timeout must outlast a revocation drain and a commit interval.
        env.put("DRAIN_REBALANCE_TIMEOUT", "3s");
        // 16 workers at 20-50 ms: about 350 records a second at most, so the load lasts several seconds and every
        // transaction holds events.
        Map<String, String> envFirst = with(with(with(with(env, "HOSTNAME", FIRST),
                "TRANSACTIONS_PROCESSING_TIME", "20ms"), "TRANSACTIONS_PROCESSING_TIME_JITTER", "30ms"),
                "TRANSACTIONS_MAX_CONCURRENCY", "16");
        Map<String, String> envRestart = with(with(env, "HOSTNAME", restartName),
                "TRANSACTIONS_PROCESSING_TIME", "2ms");

        Duration stall;
        Set<TopicPartition> heldBack;
        try (StatesTopicWatch watch = new StatesTopicWatch(topics)) {
            Map<TopicPartition, Long> writtenAtKill;
            long killed;
            try (ServiceProcess first = ServiceProcess.start(prefix + "-first", envFirst)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> !completed(topics).isEmpty());
                // Kill just after a commit, once the next transaction holds events: the next commit is a whole commit
                // interval (1 s) away, so the kill finds a transaction open (that began a moment ago), not one being
                // committed. Everything written now is decided when the transaction open now has been committed.
                Map<TopicPartition, Long> now = watch.written();
                await("a commit, then the next transaction holding events").atMost(Duration.ofSeconds(10))
                        .pollInSameThread().pollInterval(Duration.ofMillis(10))
                        .until(() -> watch.readablePast(now) && !watch.heldBack().isEmpty());
                first.sigkill();
                killed = System.nanoTime();
                first.awaitExit(Duration.ofSeconds(20));
            }
            writtenAtKill = watch.written();
            heldBack = watch.heldBack();
            assertThat(heldBack).as("states partitions the killed instance's open transaction holds back")
                    .isNotEmpty();
            assertThat(completed(topics)).as("ids COMPLETED for read_committed readers at the"
                    + " kill (stopped mid-load)").hasSizeLessThan(ids.size());

            // Not awaited ready: the stall is measured meanwhile, and a restart under the same name ends it.
            try (ServiceProcess restart = ServiceProcess.start(prefix + "-restart", envRestart,
                    List.of("java", "-jar"), false)) {
                stall = watch.awaitReadablePast(writtenAtKill, killed, stallBound);
                restart.awaitHealth("/q/health/ready", 200, Duration.ofSeconds(90));
                await().atMost(Duration.ofSeconds(120))
                        .until(() -> completed(topics).size() == ids.size());
                restart.sigterm();
                assertThat(restart.awaitExit(Duration.ofSeconds(30))).as("the restart's exit status").isZero();
            }
        }

        List<JsonNode> visible = topics.committedStateEvents();
        Audit audit = Audit.of(ids, visible, topics.committedDeadLetterRecords().size());
        Audit uncommitted = Audit.of(ids, topics.stateEvents(), topics.deadLetterRecords().size());
        System.out.printf("exactly-once SIGKILL, restart as %s: read_committed readers stalled %d ms after the kill"
                + " (transaction timeout %d ms; states partitions held back at the kill: %s); ids COMPLETED more than"
                + " once read_uncommitted (the killed instance's aborted outcomes): %d; read_committed: %d%n",
                restartName.equals(FIRST) ? "the same name" : "another name", stall.toMillis(),
                transactionTimeout.toMillis(), heldBack, uncommitted.completedMoreThanOnce().size(),
                audit.completedMoreThanOnce().size());
        assertThat(audit.lost()).as("ids with no outcome a read_committed reader sees").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("ids a read_committed reader sees COMPLETED more than once")
                .isEmpty();
        assertThat(audit.completed()).as("ids a read_committed reader sees COMPLETED").isEqualTo(ids.size());
        return stall;
    }

    private static Map<String, Long> completed(Topics topics) {
        return topics.countByState(topics.committedStateEvents(), "COMPLETED");
    }
}
