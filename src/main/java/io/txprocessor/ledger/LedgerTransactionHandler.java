package io.txprocessor.ledger;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Typed;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.client.api.QuarkusRestClientProperties;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.txprocessor.transaction.Transaction;
import io.txprocessor.transaction.TransactionContext;
import io.txprocessor.transaction.TransactionHandler;
import io.txprocessor.transaction.TransactionsConfig;

/**
 * Books each transaction in a ledger over HTTP ({@code transactions.handler=ledger}): a {@code POST
 * <ledger.url>/entries} with the transaction id as the {@code Idempotency-Key} header, so that the repeat of a
 * call (a retry, or the next owner after a drain handed the record off) has no second effect.
 *
 * <ul>
 * <li>Each attempt gets {@code ledger.timeout}; past it the request is aborted.</li>
 * <li>Only answers {@link RetryDecision} calls retriable are repeated, at most {@code ledger.max-attempts} attempts
 * in all, {@code ledger.retry-backoff} apart, doubling; any other status ends in FAILED with the status as the
 * reason.</li>
 * <li>Cancellation (the drain's time is up): the engine interrupts this worker thread; the wait for the answer
 * ends at once and the request is aborted (its subscription cancelled, which resets the HTTP request: the ledger
 * sees the connection closed). The record is then SUSPENDED and its next owner repeats the call.</li>
 * </ul>
 *
 * <p>
 * Threads: {@link #handle} runs on an engine worker and blocks it for the answer; the HTTP exchange itself runs on
 * the REST client's Vert.x event loop. {@code @Typed} keeps this bean out of the {@link TransactionHandler}
 * injection point: {@code bundled.HandlerSelection} picks it by configuration.
 */
@ApplicationScoped
@Typed(LedgerTransactionHandler.class)
public class LedgerTransactionHandler implements TransactionHandler {

    private static final Logger LOG = Logger.getLogger(LedgerTransactionHandler.class);

    private final LedgerConfig config;
    private final LedgerApi ledger;

    public LedgerTransactionHandler(LedgerConfig config, TransactionsConfig transactions) {
        this.config = config;
        long timeoutMillis = config.timeout().toMillis();
        this.ledger = QuarkusRestClientBuilder.newBuilder()
                .baseUri(config.url())
                .connectTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .readTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                // A connection per worker: a call queued for a pooled connection would spend its timeout waiting.
                .property(QuarkusRestClientProperties.CONNECTION_POOL_SIZE, transactions.work().maxConcurrency())
                // Every status comes back as a Response: RetryDecision reads it, not an exception mapper.
                .property("microprofile.rest.client.disable.default.mapper", true)
                .build(LedgerApi.class);
    }

    @Override
    public void handle(Transaction transaction, TransactionContext context) throws Exception {
        LedgerEntry entry = LedgerEntry.of(transaction);
        int maxAttempts = config.maxAttempts();
        for (int attempt = 1;; attempt++) {
            if (context.isCancelled()) {
                throw new CancellationException("cancelled before attempt " + attempt + " of the ledger call");
            }
            int status = book(context.idempotencyKey(), entry);
            switch (RetryDecision.of(status)) {
                case DONE -> {
                    return;
                }
                case FAIL -> throw new LedgerRefusedException(status);
                case RETRY -> {
                    if (attempt >= maxAttempts) {
                        throw new LedgerRefusedException(status, attempt);
                    }
                    Duration wait = RetryDecision.backoff(config.retryBackoff(), attempt + 1);
                    LOG.debugf("ledger answered %s for %s (attempt %d of %d); retrying in %d ms", answer(status),
                            transaction.id(), attempt, maxAttempts, wait.toMillis());
                    if (!context.awaitUnlessCancelled(wait)) {
                        throw new CancellationException("cancelled while backing off before a ledger retry");
                    }
                }
            }
        }
    }

    /**
     * One attempt: the HTTP status, or {@link RetryDecision#NO_ANSWER} when the ledger could not be reached or did
     * not answer within the timeout.
     *
     * @throws InterruptedException
     *             when the drain cancels the record; the request has been aborted by then
     */
    private int book(String idempotencyKey, LedgerEntry entry) throws InterruptedException {
        CompletableFuture<Response> call = ledger.book(idempotencyKey, entry).subscribeAsCompletionStage();
        try {
            // The REST client's own read timeout is the same; this bound also covers a connection never made.
            try (Response response = call.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                return response.getStatus();
            }
        } catch (InterruptedException e) {
            // Cancelling the future cancels the Uni's subscription, and the REST client resets the request: the
            // ledger's connection closes now, instead of the call running on after the record was handed off.
            call.cancel(true);
            throw e; // the interrupt is the engine's: the InterruptedException carries it up, unswallowed
        } catch (TimeoutException e) {
            call.cancel(true);
            return RetryDecision.NO_ANSWER;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebApplicationException refused && refused.getResponse() != null) {
                return refused.getResponse().getStatus();
            }
            LOG.debugf("no answer from the ledger at %s: %s", config.url(), e.getCause());
            return RetryDecision.NO_ANSWER;
        }
    }

    private static String answer(int status) {
        return status == RetryDecision.NO_ANSWER ? "nothing" : Integer.toString(status);
    }
}
