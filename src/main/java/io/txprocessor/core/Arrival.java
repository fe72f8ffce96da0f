package io.txprocessor.core;

/** What became of a record arriving at the {@link EngineCore}. */
public enum Arrival {
    /** Held: it starts when its lane and a worker are free, and it is within the span ({@link EngineCore#mayStart}). */
    NEW,
    /** Finished by a previous owner (the committed metadata says so): skipped. */
    ALREADY_FINISHED,
    /** Seen already in this assignment, or below its start: ignored. */
    DUPLICATE,
    /** Its partition is not assigned here (fetched before it was revoked): the next owner has it. */
    NOT_ASSIGNED,
    /**
     * Fetched in an earlier assignment of its partition, or before its start was known: the batch waited in the
     * connector's queue through a loss or a revocation and a new assignment, or through a failed look-up of the
     * start. The current assignment fetches that offset again from its own start; admitting this one would book it
     * above the start and make the lower offsets, fetched again, read as duplicates.
     */
    STALE,
    /** Its partition is being revoked: the next owner has it. */
    REVOKING,
    /** A shutdown drain began: nothing is admitted. */
    NOT_ACCEPTING
}
