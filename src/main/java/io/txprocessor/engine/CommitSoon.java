package io.txprocessor.engine;

import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Singleton;

/**
 * Exactly once, records stay in the engine's window until the transaction holding their outcome commits: at zero
 * work the window (20,000 records by default) fills long before the next {@code commit-interval}. When intake finds the window
 * half full, it asks here for a commit now instead of waiting ({@link PeriodicCommitter} carries it out).
 */
@Singleton
public class CommitSoon {

    private final AtomicReference<Runnable> committer = new AtomicReference<>(() -> {
    });

    /** The committer to call when a commit is asked for. */
    void onRequest(Runnable commit) {
        committer.set(commit);
    }

    /** Asks for a commit as soon as possible; cheap, and harmless when one is already on its way. */
    void request() {
        committer.get().run();
    }
}
