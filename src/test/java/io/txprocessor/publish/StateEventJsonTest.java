package io.txprocessor.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.txprocessor.publish.StateEvent.State;

/**
 * {@link StateEventJson} writes the bytes the application's Jackson mapper wrote for a state event before it (the
 * mapper as Quarkus configures it: java.time module, dates as ISO-8601 text), over random events: any state, null
 * fields, reasons with quotes, backslashes, control characters, non-ASCII and surrogate pairs, instants with every
 * fraction length and at minute boundaries.
 */
class StateEventJsonTest {

    private static final ObjectMapper JACKSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final String ALPHABET = "abcXYZ019 -_:/\"\\\n\r\t\b\f\u0000\u0001\u001f\u007f"
            + "é€ßж\u2028\u00a0\uD83D\uDCA5中";

    @Test
    void writesTheSameBytesAsJacksonForRandomEvents() throws Exception {
        Random random = new Random(20);
        for (int i = 0; i < 20_000; i++) {
            StateEvent event = randomEvent(random);
            String ours = new String(StateEventJson.bytes(event), StandardCharsets.UTF_8);
            assertThat(ours).as("event %d: %s", i, event).isEqualTo(JACKSON.writeValueAsString(event));
        }
    }

    @Test
    void writesALoneSurrogateAsItsEscapeWhichReadsBackAsTheSameText() throws Exception {
        StateEvent event = new StateEvent("tx-1", "acc-1", State.FAILED, "bad \uD800 half", "t", 0, 1, "host",
                Instant.EPOCH, null);

        byte[] json = StateEventJson.bytes(event);

        assertThat(new String(json, StandardCharsets.UTF_8)).contains("bad \\uD800 half");
        JsonNode read = JACKSON.readTree(json);
        assertThat(read.path("reason").asText()).isEqualTo("bad \uD800 half");
    }

    private static StateEvent randomEvent(Random random) {
        State state = State.values()[random.nextInt(State.values().length)];
        return new StateEvent(text(random, 0), text(random, 5), random.nextInt(20) == 0 ? null : state,
                random.nextBoolean() ? null : text(random, 0), text(random, 10), random.nextInt(1_000),
                random.nextLong() & Long.MAX_VALUE, text(random, 10), instant(random), instant(random));
    }

    /** Random text from the alphabet, null once in {@code nullOneIn} (never when 0). */
    private static String text(Random random, int nullOneIn) {
        if (nullOneIn > 0 && random.nextInt(nullOneIn) == 0) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            char c = ALPHABET.charAt(random.nextInt(ALPHABET.length()));
            if (Character.isHighSurrogate(c)) {
                text.append("\uD83D\uDCA5"); // only whole pairs: Jackson refuses lone surrogates
            } else if (!Character.isLowSurrogate(c)) {
                text.append(c);
            }
        }
        return text.toString();
    }

    private static Instant instant(Random random) {
        long second = switch (random.nextInt(4)) {
            case 0 -> 1_796_000_000L + random.nextInt(100_000); // around now
            case 1 -> 60L * random.nextInt(40_000_000); // on a minute: zero seconds
            case 2 -> random.nextLong(253_402_300_800L); // anywhere in 1970..9999
            default -> -random.nextInt(1_000_000_000); // before 1970
        };
        int nanos = switch (random.nextInt(5)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1_000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            case 3 -> random.nextInt(1_000_000_000);
            default -> 1;
        };
        return random.nextInt(15) == 0 ? null : Instant.ofEpochSecond(second, nanos);
    }
}
