package io.txprocessor.drain;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.eclipse.microprofile.config.spi.Converter;

import io.quarkus.runtime.configuration.DurationConverter;
import io.txprocessor.core.Deadline;

/**
 * The value of {@code drain.hand-off-reserve}: {@code auto} (sized at each drain from what hand-offs cost here, see
 * {@link HandOffCost}) or a fixed duration.
 *
 * @param fixed the fixed reserve; empty for {@code auto}
 */
public record HandOffReserve(Optional<Duration> fixed) {

    /** The least an {@code auto} reserve is (why: {@link HandOffCost}). */
    public static final Duration FLOOR = Duration.ofMillis(400);

    /** Sized from what was measured. */
    public static final HandOffReserve AUTO = new HandOffReserve(Optional.empty());

    /** True for {@code auto}. */
    public boolean auto() {
        return fixed.isEmpty();
    }

    /** The least this reserve can be: the fixed one, or the auto reserve's floor. */
    public Duration least() {
        return fixed.orElse(FLOOR);
    }

    @Override
    public String toString() {
        return fixed.map(Deadline::text).orElse("auto");
    }

    /**
     * Reads {@code auto} or a duration in Quarkus' syntax; a failure says what is allowed, on the one line SmallRye
     * Config writes for the property.
     */
    public static final class Read implements Converter<HandOffReserve> {

        private static final long serialVersionUID = 1L;

        @Override
        public HandOffReserve convert(String value) {
            String trimmed = value.trim();
            if (trimmed.toLowerCase(Locale.ROOT).equals("auto")) {
                return AUTO;
            }
            try {
                return new HandOffReserve(Optional.of(new DurationConverter().convert(trimmed)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "allowed is auto or a duration such as 4s, 500ms or PT4S (a bare number counts seconds)", e);
            }
        }
    }
}
