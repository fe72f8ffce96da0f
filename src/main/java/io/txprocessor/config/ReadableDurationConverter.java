package io.txprocessor.config;

import java.time.Duration;

import org.eclipse.microprofile.config.spi.Converter;

import io.quarkus.runtime.configuration.DurationConverter;

/**
 * Quarkus' duration syntax ({@code 30s}, {@code 500ms}, {@code 2m}, {@code PT30S}, a bare number of seconds), with
 * a failure that says what is allowed: SmallRye Config puts it on the one line that names the property and the
 * value ({@code SRCFG00039: The config property drain.grace-period with the config value "abc" ...}).
 */
public final class ReadableDurationConverter implements Converter<Duration> {

    private static final long serialVersionUID = 1L;

    private final DurationConverter quarkus = new DurationConverter();

    @Override
    public Duration convert(String value) {
        try {
            return quarkus.convert(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "allowed is a duration such as 30s, 500ms, 2m or PT30S (a bare number counts seconds)", e);
        }
    }
}
