package io.txprocessor.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** {@link Ci}: which runs count as CI's, and that a missing prerequisite fails there and skips elsewhere. */
class CiTest {

    @Test
    void anyNonEmptyValueOfCiCounts() {
        assertThat(Ci.isCi("true")).isTrue();
        assertThat(Ci.isCi("1")).isTrue();
        assertThat(Ci.isCi("yes")).isTrue();
        assertThat(Ci.isCi(null)).as("unset").isFalse();
        assertThat(Ci.isCi("")).as("set to nothing").isFalse();
    }

    @Test
    void somethingMissingFailsUnderCiAndSkipsElsewhere() {
        assertThat(catchThrowable(() -> Ci.unavailable("kubectl is not on the PATH", "1")))
                .isExactlyInstanceOf(AssertionFailedError.class).hasMessageContaining("kubectl is not on the PATH")
                .hasMessageContaining("CI=1");
        assertThat(catchThrowable(() -> Ci.unavailable("kubectl is not on the PATH", null)))
                .isExactlyInstanceOf(TestAbortedException.class).hasMessageContaining("kubectl is not on the PATH")
                .hasMessageContaining("skipped");
    }

    @Test
    void aProgramIsFoundOnThePathAndAMissingOneIsNot() {
        assertThat(Ci.findOnPath("no-such-program-anywhere", "sh")).hasValueSatisfying(
                sh -> assertThat(sh.getFileName()).hasToString("sh"));
        assertThat(Ci.findOnPath("no-such-program-anywhere")).isEmpty();
    }
}
