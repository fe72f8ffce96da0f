package io.txprocessor.bundled;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;

import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionContext;
import io.txprocessor.transaction.TransactionHandler;

/**
 * The bundled handler: pretends to call a ledger for
 * {@code transactions.processing-time}, stops as soon as it is cancelled, and
 * fails the ids that match {@code transactions.simulated-failures}, and crashes (a JVM {@code Error}) on those that
 * match {@code transactions.simulated-crashes}. Chosen by {@code transactions.handler=simulated} (the default,
 * see {@link HandlerSelection}); replaced by any other {@link TransactionHandler} bean.
 */
@ApplicationScoped
@Typed(SimulatedTransactionHandler.class)
public class SimulatedTransactionHandler implements TransactionHandler {

    private final SimulatedHandlerConfig config;
    private final Pattern failures;
    private final Pattern crashes;
    private final Pattern hangs;

    public SimulatedTransactionHandler(SimulatedHandlerConfig config) {
        this.config = config;
        this.failures = config.simulatedFailures().map(Pattern::compile).orElse(null);
        this.crashes = config.simulatedCrashes().map(Pattern::compile).orElse(null);
        this.hangs = config.simulatedHangs().map(Pattern::compile).orElse(null);
    }

    /** A share of the configured jitter fixed by the id, so that a redelivered transaction takes as long. */
    private Duration jitter(String id) {
        long jitterNanos = config.processingTimeJitter().toNanos();
        if (jitterNanos == 0) {
            return Duration.ZERO;
        }
        // Ids differ in their last characters, and so do their hash codes only slightly: mix them (SplitMix64).
        long z = id.hashCode() + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        double share = (z >>> 11) / (double) (1L << 53);
        return Duration.ofNanos((long) (jitterNanos * share));
    }

    @Override
    public void handle(Transaction transaction, TransactionContext context) throws Exception {
        if (hangs != null && hangs.matcher(transaction.id()).matches()) {
            while (context.awaitUnlessCancelled(Duration.ofHours(1))) {
                // hangs until a drain cancels it
            }
            throw new CancellationException("cancelled while hanging");
        }
        Duration work = config.processingTime().plus(jitter(transaction.id()));
        if (!work.isZero() && !context.awaitUnlessCancelled(work)) {
            throw new CancellationException("cancelled before the simulated work finished");
        }
        if (crashes != null && crashes.matcher(transaction.id()).matches()) {
            throw new LinkageError(
                    "simulated crash for " + transaction.id() + " (as a class missing after a bad deploy)");
        }
        if (failures != null && failures.matcher(transaction.id()).matches()) {
            throw new IllegalStateException("simulated failure for " + transaction.id());
        }
    }
}
