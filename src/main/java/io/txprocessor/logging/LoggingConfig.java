package io.txprocessor.logging;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How the service reports what it cannot print line by line. */
@ConfigMapping(prefix = "logs")
public interface LoggingConfig {

    /**
     * How often an unreachable broker is reported: one line per interval with the bootstrap servers, the number of
     * failed connection attempts and the last error, instead of a Kafka client warning per attempt.
     */
    @WithDefault("15s")
    Duration brokerReportInterval();
}
