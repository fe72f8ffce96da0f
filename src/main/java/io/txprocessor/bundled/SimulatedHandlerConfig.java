package io.txprocessor.bundled;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The bundled simulated handler's knobs ({@code transactions.handler=simulated}): how long it pretends to work, and
 * which transaction ids it fails, crashes or hangs on, to see each outcome without writing a handler. Same prefix as
 * {@code TransactionsConfig}, so the properties keep their names; ignored by a handler of your own.
 */
@ConfigMapping(prefix = "transactions")
public interface SimulatedHandlerConfig {

    /**
     * How long the bundled simulated handler works on one transaction; ignored by
     * your own handler.
     */
    @WithDefault("20ms")
    Duration processingTime();

    /**
     * Extra simulated time, between zero and this, drawn per transaction id (the same id always takes the same
     * time): real ledgers are not equally fast. Bundled handler only.
     */
    @WithDefault("0s")
    Duration processingTimeJitter();

    /**
     * Transaction ids the bundled simulated handler fails (a regular expression),
     * to see FAILED events without writing a handler; empty fails none.
     */
    Optional<String> simulatedFailures();

    /**
     * Transaction ids on which the bundled simulated handler throws a JVM {@code Error} (a regular expression), to
     * see what a crash does (the record is left for the next owner, liveness turns DOWN); empty crashes none.
     */
    Optional<String> simulatedCrashes();

    /**
     * Transaction ids on which the bundled simulated handler hangs until a drain cancels it (a regular expression),
     * as a ledger call that never returns: to see a hand-off of a wide window; empty hangs none.
     */
    Optional<String> simulatedHangs();

}
