package io.txprocessor.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;

/**
 * The direction of the main packages, checked on the compiled classes: no cycle between them, and each imports only
 * the packages below it. The engine's pure {@code core} sits at the bottom; {@code engine} carries its decisions out;
 * {@code drain} runs the drains on top of it; {@code config} (start-up checks) and {@code health} look at everything
 * and nothing looks at them.
 */
class PackageDirectionTest {

    private static final String ROOT = "io.txprocessor";

    /**
     * What each package may import of the project, besides itself. Everything else is forbidden: a new arrow is a
     * design decision, made here.
     */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("core", Set.of()),
            Map.entry("metrics", Set.of()),
            Map.entry("transaction", Set.of()),
            Map.entry("ledger", Set.of("transaction")),
            Map.entry("jdbc", Set.of("transaction")),
            Map.entry("bundled", Set.of("transaction", "ledger", "jdbc")),
            Map.entry("publish", Set.of("transaction")),
            Map.entry("engine", Set.of("core", "publish", "transaction", "metrics")),
            Map.entry("drain", Set.of("core", "engine", "publish", "transaction", "metrics")),
            Map.entry("health", Set.of("core", "drain", "engine", "transaction")),
            Map.entry("logging", Set.of()),
            Map.entry("dev", Set.of("transaction")),
            Map.entry("config",
                    Set.of("core", "drain", "engine", "health", "ledger", "jdbc", "transaction", "bundled")));

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @Test
    void noTwoPackagesDependOnEachOther() {
        slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    static Set<String> packages() {
        return ALLOWED.keySet();
    }

    @ParameterizedTest(name = "{0} imports only what is below it")
    @MethodSource("packages")
    void eachPackageImportsOnlyWhatIsBelowIt(String name) {
        String[] forbidden = ALLOWED.keySet().stream()
                .filter(other -> !other.equals(name) && !ALLOWED.get(name).contains(other))
                .map(other -> ROOT + "." + other + "..").toArray(String[]::new);
        ArchRule rule = ArchRuleDefinition.noClasses().that().resideInAPackage(ROOT + "." + name + "..").should()
                .dependOnClassesThat().resideInAnyPackage(forbidden);
        rule.allowEmptyShould(true).check(classes);
    }

    @Test
    void everyMainPackageHasItsPlaceInTheRules() {
        Set<String> seen = classes.stream().map(javaClass -> javaClass.getPackageName())
                .filter(name -> name.startsWith(ROOT + "."))
                .map(name -> name.substring(ROOT.length() + 1).split("\\.")[0])
                .collect(java.util.stream.Collectors.toSet());
        org.assertj.core.api.Assertions.assertThat(ALLOWED.keySet()).as("packages with a place in the rules")
                .containsAll(seen);
    }

    @Test
    void onlyTheDeliveryChoiceReadsTheDeliveryMode() {
        ArchRuleDefinition.noClasses().that()
                .doNotHaveFullyQualifiedName("io.txprocessor.engine.DeliveryChoice").should()
                .callMethod("io.txprocessor.transaction.OutputConfig", "delivery")
                .because("what differs between the modes is behind engine.Delivery, chosen once").check(classes);
    }

    @Test
    void noMainClassReachesThreeHundredLines() throws java.io.IOException {
        java.util.List<String> tooLong = new java.util.ArrayList<>();
        try (var files = java.nio.file.Files.walk(java.nio.file.Path.of("src/main/java"))) {
            for (java.nio.file.Path file : files.filter(path -> path.toString().endsWith(".java")).toList()) {
                long lines = java.nio.file.Files.readAllLines(file).size();
                if (lines >= 300) {
                    tooLong.add(file + ": " + lines + " lines");
                }
            }
        }
        org.assertj.core.api.Assertions.assertThat(tooLong).as("main classes of 300 lines or more (one job each)")
                .isEmpty();
    }
}
