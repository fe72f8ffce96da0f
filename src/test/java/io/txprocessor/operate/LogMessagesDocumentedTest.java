package io.txprocessor.operate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jboss.jandex.AnnotationInstance;
import org.jboss.jandex.AnnotationValue;
import org.jboss.jandex.ClassInfo;
import org.jboss.jandex.DotName;
import org.jboss.jandex.Index;
import org.jboss.jandex.Indexer;
import org.jboss.jandex.MethodInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every typed log message (a method of a JBoss Logging {@code @MessageLogger} interface in the main classes) has an id
 * of its own, inside its package's range as docs/operate.md ("Log messages") gives it, and a row in that section's
 * table with its level and text; and the table names no message the code does not have.
 *
 * <p>
 * The annotations are kept in the class files but not at run time ({@code RetentionPolicy.CLASS}), so the compiled
 * classes are read with Jandex instead of reflection. A new interface is found without being listed here.
 */
class LogMessagesDocumentedTest {

    private static final Path CLASSES = Path.of("target", "classes");
    private static final Path DOC = Path.of("docs", "operate.md");
    private static final String PROJECT_CODE = "TXP";
    private static final DotName MESSAGE_LOGGER = DotName.createSimple("org.jboss.logging.annotations.MessageLogger");
    private static final DotName VALID_ID_RANGE = DotName.createSimple("org.jboss.logging.annotations.ValidIdRange");
    private static final DotName MESSAGE = DotName.createSimple("org.jboss.logging.annotations.Message");
    private static final DotName LOG_MESSAGE = DotName.createSimple("org.jboss.logging.annotations.LogMessage");
    /** {@code | `io.txprocessor.drain` | 1000-1099 |} */
    private static final Pattern RANGE_ROW = Pattern.compile("^\\| `([a-z.]+)` \\| (\\d+)-(\\d+) \\|$");
    /** {@code | TXP1000 | WARN | `text` | what to do |} */
    private static final Pattern MESSAGE_ROW = Pattern
            .compile("^\\| ([A-Z]+\\d+) \\| ([A-Z]+) \\| `(.+?)` \\| .+ \\|$");

    /** One method of a {@code @MessageLogger} interface. */
    record Typed(String owner, String method, int id, String printedId, String level, String text) {

        String packageName() {
            return owner.substring(0, owner.lastIndexOf('.'));
        }

        @Override
        public String toString() {
            return owner + "#" + method + " (" + printedId + ")";
        }
    }

    /** A package's ids, from the doc. */
    record Range(int min, int max) {

        boolean contains(int id) {
            return id >= min && id <= max;
        }
    }

    /** A row of the doc's message table. */
    record Row(String printedId, String level, String text) {
    }

    private static Index index;
    private static List<Typed> messages;
    private static Map<String, Range> ranges;
    private static List<Row> rows;

    @BeforeAll
    static void read() throws IOException {
        index = index(CLASSES);
        messages = messages(index);
        String section = logMessagesSection(Files.readString(DOC));
        ranges = new LinkedHashMap<>();
        rows = new ArrayList<>();
        for (String line : section.lines().toList()) {
            Matcher range = RANGE_ROW.matcher(line);
            if (range.matches()) {
                Range previous = ranges.put(range.group(1),
                        new Range(Integer.parseInt(range.group(2)), Integer.parseInt(range.group(3))));
                assertThat(previous).as("a second range for %s in %s", range.group(1), DOC).isNull();
            }
            Matcher row = MESSAGE_ROW.matcher(line);
            if (row.matches()) {
                rows.add(new Row(row.group(1), row.group(2), row.group(3)));
            }
        }
        // Without these the checks below would pass on nothing.
        assertThat(index.getAnnotations(MESSAGE_LOGGER)).as("@MessageLogger interfaces in %s", CLASSES).isNotEmpty();
        assertThat(messages).as("typed messages in %s", CLASSES).isNotEmpty();
        assertThat(ranges).as("id ranges in the Log messages section of %s", DOC).isNotEmpty();
        assertThat(rows).as("message rows in the Log messages section of %s", DOC).isNotEmpty();
    }

    @Test
    void everyIdIsInsideItsPackagesRangeAsTheDocGivesIt() {
        List<String> problems = new ArrayList<>();
        for (AnnotationInstance logger : index.getAnnotations(MESSAGE_LOGGER)) {
            ClassInfo type = logger.target().asClass();
            String packageName = type.name().packagePrefix();
            Range range = ranges.get(packageName);
            if (range == null) {
                problems.add(packageName + " (" + type.simpleName() + ") has no id range in " + DOC);
                continue;
            }
            // The compiler enforces @ValidIdRange; it must be the range the doc promises.
            AnnotationInstance valid = type.declaredAnnotation(VALID_ID_RANGE);
            if (valid == null || valid.value("min").asInt() != range.min()
                    || valid.value("max").asInt() != range.max()) {
                problems.add(type.simpleName() + " must declare @ValidIdRange(min = " + range.min() + ", max = "
                        + range.max() + "), the range " + DOC + " gives " + packageName + "; it declares " + valid);
            }
        }
        for (Typed message : messages) {
            Range range = ranges.get(message.packageName());
            if (range != null && !range.contains(message.id())) {
                problems.add(message + " is outside " + message.packageName() + "'s ids, " + range.min() + "-"
                        + range.max());
            }
        }
        assertThat(problems).as("ids outside their package's range").isEmpty();
    }

    @Test
    void everyInterfacePrintsItsIdsAsTxpAndFourDigits() {
        // The form the doc's rows and an operator's searches use; the processor checks ids only per project code.
        for (AnnotationInstance logger : index.getAnnotations(MESSAGE_LOGGER)) {
            AnnotationValue length = logger.value("length");
            assertThat(logger.value("projectCode").asString()).as("projectCode of %s", logger.target())
                    .isEqualTo(PROJECT_CODE);
            assertThat(length == null ? 6 : length.asInt()).as("length of %s", logger.target()).isEqualTo(4);
        }
    }

    @Test
    void theDocsRangesDoNotOverlap() {
        List<Map.Entry<String, Range>> sorted = ranges.entrySet().stream()
                .sorted((a, b) -> Integer.compare(a.getValue().min(), b.getValue().min())).toList();
        for (int i = 0; i < sorted.size(); i++) {
            Range range = sorted.get(i).getValue();
            assertThat(range.min()).as("%s's range", sorted.get(i).getKey()).isLessThanOrEqualTo(range.max());
            if (i > 0) {
                assertThat(range.min())
                        .as("%s starts after %s ends", sorted.get(i).getKey(), sorted.get(i - 1).getKey())
                        .isGreaterThan(sorted.get(i - 1).getValue().max());
            }
        }
    }

    @Test
    void noIdIsUsedTwice() {
        Map<Integer, List<Typed>> byId = messages.stream()
                .collect(Collectors.groupingBy(Typed::id, TreeMap::new, Collectors.toList()));
        assertThat(byId.values().stream().filter(same -> same.size() > 1).toList())
                .as("ids used by more than one message").isEmpty();
    }

    @Test
    void everyMessageHasARowInTheDocWithItsLevelAndText() {
        Map<String, Row> byId = new HashMap<>();
        rows.forEach(row -> byId.put(row.printedId(), row));
        List<String> problems = new ArrayList<>();
        for (Typed message : messages) {
            Row row = byId.get(message.printedId());
            if (row == null) {
                problems.add(message + " has no row in " + DOC);
            } else if (!row.level().equals(message.level()) || !row.text().equals(message.text())) {
                problems.add(message + " is " + message.level() + " `" + message.text() + "`; " + DOC + " says "
                        + row.level() + " `" + row.text() + "`");
            }
        }
        assertThat(problems).as("messages the doc does not list as they are").isEmpty();
    }

    @Test
    void theDocListsEachMessageOnceAndOnlyMessagesTheCodeHas() {
        List<String> inCode = messages.stream().map(Typed::printedId).toList();
        Map<String, Long> counts = rows.stream().collect(Collectors.groupingBy(Row::printedId, Collectors.counting()));
        assertThat(counts.entrySet().stream().filter(count -> count.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("ids with more than one row in %s", DOC).isEmpty();
        assertThat(counts.keySet().stream().filter(id -> !inCode.contains(id)).sorted().toList())
                .as("rows in %s for ids no @MessageLogger method has", DOC).isEmpty();
    }

    private static Index index(Path classes) throws IOException {
        Indexer indexer = new Indexer();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(path -> path.toString().endsWith(".class")).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    indexer.index(in);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot index " + file, e);
                }
            }
        }
        return indexer.complete();
    }

    private static List<Typed> messages(Index index) {
        List<Typed> found = new ArrayList<>();
        for (AnnotationInstance logger : index.getAnnotations(MESSAGE_LOGGER)) {
            ClassInfo type = logger.target().asClass();
            String projectCode = logger.value("projectCode").asString();
            AnnotationValue length = logger.value("length");
            // @MessageLogger's own default: ids are printed six digits wide.
            int digits = length == null ? 6 : length.asInt();
            for (MethodInfo method : type.methods()) {
                AnnotationInstance message = method.declaredAnnotation(MESSAGE);
                if (message == null) {
                    continue;
                }
                AnnotationInstance logMessage = method.declaredAnnotation(LOG_MESSAGE);
                assertThat(logMessage).as("%s#%s has @Message but no @LogMessage", type.name(), method.name())
                        .isNotNull();
                AnnotationValue level = logMessage.value("level");
                AnnotationValue id = message.value("id");
                assertThat(id).as("%s#%s has no id", type.name(), method.name()).isNotNull();
                found.add(new Typed(type.name().toString(), method.name(), id.asInt(),
                        projectCode + String.format("%0" + digits + "d", id.asInt()),
                        level == null ? "INFO" : level.asEnum(), message.value().asString()));
            }
        }
        return found;
    }

    /** From "### Log messages" to the next heading of that level or above. */
    private static String logMessagesSection(String doc) {
        int start = doc.indexOf("\n### Log messages\n");
        assertThat(start).as("a \"### Log messages\" section in %s", DOC).isNotNegative();
        Matcher next = Pattern.compile("\n#{1,3} ").matcher(doc);
        int end = next.find(start + 1) ? next.start() : doc.length();
        return doc.substring(start, end);
    }
}
