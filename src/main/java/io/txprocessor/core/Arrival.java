package io.txprocessor.core;

/** What became of a record arriving at the {@link EngineCore}. */
public enum Arrival {
    /** Held: it starts when its lane and a worker are free. */
    NEW,
    /** Finished by a previous owner (the committed metadata says so): skipped. */
    ALREADY_FINISHED,
    /** Seen already in this assignment, or below its start: ignored. */
    DUPLICATE,
    /** Its partition is not assigned here (fetched before it was revoked): the next owner has it. */
    NOT_ASSIGNED,
    /** Its partition is being revoked: the next owner has it. */
    REVOKING,
    /** A shutdown drain began: nothing is admitted. */
    NOT_ACCEPTING
}
