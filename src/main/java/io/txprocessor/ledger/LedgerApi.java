package io.txprocessor.ledger;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.smallrye.mutiny.Uni;

/**
 * The ledger's HTTP interface, as a Quarkus REST client ({@link LedgerTransactionHandler} builds it from
 * {@link LedgerConfig}). A {@link Uni} rather than a blocking call: cancelling its subscription resets the HTTP
 * request, which is how a drain aborts a call in flight instead of waiting for it.
 */
@Path("/entries")
public interface LedgerApi {

    /** The header that makes a repeated {@code POST} have no second effect. */
    String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** Books one entry; any status comes back as the response (the default exception mapper is off). */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    Uni<Response> book(@HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey, LedgerEntry entry);
}
