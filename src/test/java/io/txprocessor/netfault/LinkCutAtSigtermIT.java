package io.txprocessor.netfault;

import static io.txprocessor.testing.ProcessTools.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import io.txprocessor.testing.Audit;
import io.txprocessor.testing.CommitCoverage;
import io.txprocessor.testing.KafkaBroker;
import io.txprocessor.testing.ServiceProcess;
import io.txprocessor.testing.SharedBroker;
import io.txprocessor.testing.Topics;
import io.txprocessor.testing.netlab.BrokerLink;

/**
 * The network-fault drill of the default build (the others: {@link NetworkFaultDrillsIT}, {@code -Pnetfaults}):
 * the service runs in a network namespace of its own, and the link to the broker is cut (nft drop, both ways) just
 * before SIGTERM, with records hung in flight. No SUSPENDED event and no commit can reach the broker any more: the
 * process must still exit 1 before SIGKILL, log each hand-off it could not publish, and have committed nothing past
 * unfinished work; a next owner outside the namespace completes everything, nothing twice.
 */
@ExtendWith(SharedBroker.class)
class LinkCutAtSigtermIT {

    private static final Duration GRACE = Duration.ofSeconds(8);
    /** tx-000000 … tx-000095 ending in 0 or 5: 20 records that hang until the drain cancels them. */
    private static final String HANGS = "tx-0000[0-9][05]";
    private static final int HUNG = 20;

    private static BrokerLink link;

    @BeforeAll
    static void openLink(KafkaBroker broker) {
        link = BrokerLink.open(broker);
    }

    @AfterAll
    static void closeLink() {
        if (link != null) {
            link.close();
        }
    }

    @Test
    void theLinkCutAtSigtermEndsInExitOneBeforeTheDeadlineAndTheNextOwnerCompletesEverything(KafkaBroker broker) {
        Topics topics = new Topics(broker, "link-cut", 6);
        List<String> ids = topics.produceTransactions(200, 200);
        Map<String, String> env = topics.serviceEnv();
        env.put("TRANSACTIONS_PROCESSING_TIME", "20ms");
        env.put("TRANSACTIONS_SIMULATED_HANGS", HANGS);
        env.put("DRAIN_GRACE_PERIOD", GRACE.toSeconds() + "s");
        // The next owner gets the partitions once this member's session has expired (it cannot leave the group
        // over a cut link): the broker's shortest, to keep the drill short.
        env.put("MP_MESSAGING_INCOMING_TRANSACTIONS_SESSION_TIMEOUT_MS", "6000");
        int status;
        ServiceProcess first = link.startInside("link-cut-first", with(env, "HOSTNAME", "link-cut-first"));
        try (first) {
            await().atMost(Duration.ofSeconds(60)).until(
                    () -> first.metric("transactions_processed_total{outcome=\"completed\"}").orElse(0.0) == 180.0
                            && first.metric("transactions_in_flight").orElse(0.0) == HUNG);
            Drills.awaitCommitsCoverTheFinished(topics);

            link.lab().cut();
            first.sigterm();
            status = first.awaitExit(GRACE.plusSeconds(10));
            assertThat(status).as("exit status: something handed off").isEqualTo(1);
            assertThat(first.sigtermToExit()).as("SIGTERM to exit").isLessThan(GRACE);
            long unpublished = Drills.unpublishedSuspended(first).size();
            assertThat(unpublished).as("SUSPENDED events logged because the cut link did not carry them")
                    .isEqualTo(HUNG);
            assertThat(link.lab().droppedPackets()).as("packets the cut dropped").isPositive();
        }
        // Nothing reached the broker after the cut; the link stays cut (the namespace goes with the lab), so no
        // socket the process left can deliver anything late either.
        CommitCoverage.assertCommitsCoverExactlyTheFinished(topics, Drills.finished(topics.stateEvents()));

        Drills.nextOwnerCompletesEverything(topics, env, ids, "link-cut-next");
        Audit audit = Audit.of(ids, topics.stateEvents(), 0);
        assertThat(audit.lost()).as("lost").isEmpty();
        assertThat(audit.completedMoreThanOnce()).as("completed twice").isEmpty();
        CommitCoverage.assertCommitsCoverExactlyTheFinished(topics, Drills.finished(topics.stateEvents()));
        Drills.printRow("link cut at SIGTERM", first, status, GRACE, audit, Drills.command("LinkCutAtSigtermIT"));
    }
}
