package io.txprocessor.publish;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BoundedTextTest {

    @Test
    void textUpToTheBoundIsKeptAsItIs() {
        assertThat(BoundedText.of(null)).isNull();
        assertThat(BoundedText.of("")).isEmpty();
        assertThat(BoundedText.of("z".repeat(BoundedText.MAX_CHARS))).hasSize(BoundedText.MAX_CHARS);
    }

    @Test
    void oneCharacterOverTheBoundIsCutToExactlyTheBoundWithTheMarker() {
        String cut = BoundedText.of("z".repeat(BoundedText.MAX_CHARS + 1));

        assertThat(cut).hasSize(BoundedText.MAX_CHARS).startsWith("zzz").endsWith("…(truncated, 1025 chars)");
    }
}
