package io.txprocessor.transaction;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

/**
 * A handler of the tests' own, as a user of the service writes one: it records every call, and fails the ids that
 * start with {@code fail-}. An alternative without a priority, so that it replaces the bundled handler only where a test profile
 * enables it ({@link CustomHandlerTest}).
 */
@Alternative
@ApplicationScoped
public class RecordingTransactionHandler implements TransactionHandler {

    /** What one call received. */
    public record Call(String id, String idempotencyKey, String account, String thread) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();

    @Override
    public void handle(Transaction transaction, TransactionContext context) {
        calls.add(new Call(transaction.id(), context.idempotencyKey(), transaction.account(),
                Thread.currentThread().getName()));
        if (transaction.id().startsWith("fail-")) {
            throw new IllegalStateException("declined by the recording handler: " + transaction.id());
        }
    }

    public List<Call> calls() {
        return List.copyOf(calls);
    }
}
