package io.txprocessor.core;

import java.util.List;

/**
 * What releasing partitions decided.
 *
 * @param handedOff records that were still in flight and are now handed off: after a revocation's drain normally
 *        none, the drain did that already; after a loss, every one of them
 * @param toStart records of other partitions whose lane became free
 */
public record Released<R>(List<R> handedOff, List<R> toStart) {
}
