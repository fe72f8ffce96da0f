package io.txprocessor.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test does when something it needs from the machine is missing (a program on the PATH, a kernel feature):
 * under CI it fails, because CI's machine is meant to have it ({@code .ci/run} installs it) and a skip there would
 * hide a check that never ran; elsewhere it is skipped, saying what is missing and how to get it. CI is any
 * non-empty value of the environment variable {@code CI} ({@code CI=true}, {@code CI=1}, ...): CI services differ
 * in the value, and {@code .ci/run} sets one where none is.
 */
public final class Ci {

    private Ci() {
    }

    /** Whether this run is CI's. */
    public static boolean isCi() {
        return isCi(System.getenv("CI"));
    }

    // Visible for testing
    static boolean isCi(String ci) {
        return ci != null && !ci.isEmpty();
    }

    /**
     * Fails the test under CI, skips it elsewhere, with {@code what} is missing as the reason; it never returns.
     * Its return type lets a caller write {@code throw Ci.unavailable(...)}, so that the compiler knows too.
     */
    public static AssertionError unavailable(String what) {
        return unavailable(what, System.getenv("CI"));
    }

    // Visible for testing
    static AssertionError unavailable(String what, String ci) {
        if (isCi(ci)) {
            return Assertions.fail(what + " (CI=" + ci + ": the CI machine must provide it; .ci/run installs it)");
        }
        return Assumptions.abort(what + " (skipped; with CI set, CI=1 say, this fails)");
    }

    /** The first of {@code names} that is an executable file in a directory of the PATH. */
    public static Optional<Path> findOnPath(String... names) {
        List<String> path = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(entry -> !entry.isBlank()).toList();
        for (String name : names) {
            for (String entry : path) {
                Path candidate = Path.of(entry, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** The first of {@code names} on the PATH; where none is, {@link #unavailable} says how to install it. */
    public static Path requireOnPath(String howToInstall, String... names) {
        return findOnPath(names).orElseThrow(() -> unavailable(notOnPath(howToInstall, names)));
    }

    /** The reason {@link #requireOnPath} gives: none of {@code names} on the PATH, and how to install it. */
    public static String notOnPath(String howToInstall, String... names) {
        return String.join(" or ", names) + " is not on the PATH; install it: " + howToInstall;
    }
}
