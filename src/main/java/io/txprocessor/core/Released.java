package io.txprocessor.core;

import java.util.List;

/**
 * What releasing partitions decided.
 *
 * @param handedOff records that were still in flight and are now handed off (normally a drain already did
 *        that, so this is empty)
 * @param toStart records of other partitions whose lane became free
 */
public record Released<R>(List<R> handedOff, List<R> toStart) {
}
