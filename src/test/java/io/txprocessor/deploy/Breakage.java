package io.txprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One field of one deployment file broken in a copy: the first {@code from} in {@code file} replaced by {@code to}
 * ({@code to} appended where {@code from} is empty); the checks must then report a problem that names the file and
 * contains {@code expected}. Shows that a check can fail.
 */
record Breakage(String name, String file, String from, String to, String expected) {

    /** What a parameterized test shows for it. */
    @Override
    public String toString() {
        return name;
    }

    /** Breaks a fresh copy of the deployment files under {@code copy} and asserts the problem is found. */
    void assertFoundIn(Path copy) throws IOException {
        DeployFiles.copyTo(copy);
        Path target = copy.resolve(file);
        String text = Files.readString(target);
        if (from.isEmpty()) {
            text = text + to;
        } else {
            assertThat(text).as("%s contains %s", file, from).contains(from);
            text = text.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to));
        }
        Files.writeString(target, text);

        List<String> problems = Checks.run(copy);
        assertThat(problems).as("problems found after breaking %s (%s)", file, name)
                .anySatisfy(problem -> assertThat(problem).contains(file).contains(expected));
    }
}
