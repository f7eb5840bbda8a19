package dev.vivarium.testkit;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * An adapter only translates (issue 13): its own classes use core's facade ({@code
 * dev.vivarium.core}: {@code Vivarium}, {@code VivariumOptions}, {@code Headers}), the exchange
 * ({@code core.http}) and the settings ({@code core.config}), never the engine, the ABI, the
 * deployments or another domain. Checked on the main classes of the adapter's test's own package
 * (its tests may use anything); a test-only adapter has none there, so it passes without a check.
 * Part of the kit every adapter runs through {@link AdapterScenarios}.
 */
public interface BoundaryScenarios {
    /** The packages an adapter may use of core. */
    String[] ALLOWED = {
        "dev.vivarium.core", "dev.vivarium.core.http..", "dev.vivarium.core.config.."
    };

    @Test
    default void adapterUsesOnlyTheFacadeTheExchangeAndTheSettings() {
        String adapter = getClass().getPackageName();
        JavaClasses classes =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                        .importPackages(adapter);
        noClasses()
                .that()
                .resideInAPackage(adapter + "..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("dev.vivarium.core..")
                                .and(
                                        com.tngtech.archunit.base.DescribedPredicate.not(
                                                resideInAnyPackage(ALLOWED))))
                .because("an adapter translates its server to core's exchange, nothing more")
                .allowEmptyShould(true)
                .check(classes);
    }
}
