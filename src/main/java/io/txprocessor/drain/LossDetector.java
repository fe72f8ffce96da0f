package io.txprocessor.drain;

/**
 * Tells whether a revocation callback is really a loss. Kafka invokes {@code onPartitionsLost} when the member's
 * generation was reset (it was thrown out of the group); the SmallRye connector's listener wrapper does not
 * override it, so the interface's default forwards the loss to {@code onPartitionsRevoked}. The only trace left
 * is the consumer's own frame on the stack: {@code ConsumerRebalanceListenerInvoker.invokePartitionsLost}, the
 * one place both consumer implementations (classic and KIP-848) report a loss from.
 */
final class LossDetector {

    private static final String LOSS_FRAME = "invokePartitionsLost";

    private LossDetector() {
    }

    /** True when called, through any number of wrappers, from the consumer's report of lost partitions. */
    static boolean calledForALoss() {
        return StackWalker.getInstance()
                .walk(frames -> frames.anyMatch(frame -> frame.getMethodName().equals(LOSS_FRAME)));
    }
}
