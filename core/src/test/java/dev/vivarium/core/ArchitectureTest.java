package dev.vivarium.core;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.vivarium.core.abi.HostcallTrap;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Dependencies inside core point one way (issue 13, section 4). From the top:
 *
 * <ol>
 *   <li><b>Facade</b>: {@link Vivarium}, {@link VivariumOptions}, the other root classes that are
 *       not shared types, and {@code http} (the exchange the adapters hand in).
 *   <li><b>Deploy</b>: {@code deploy} (admin API, uploads, the deployment registry).
 *   <li><b>Engine</b>: {@code engine} (modules, pools, dispatch, limits, {@code engine.Route}).
 *   <li><b>Abi</b>: {@code abi} (the hostcall families, guest memory, the per-request context).
 *   <li><b>Outbound</b>: {@code outbound} (it resolves through {@code dns}).
 *   <li><b>Domains</b>: {@code kv} (and {@code kv.mapdb}), {@code dns}, {@code log}.
 *   <li><b>Resources</b>: {@code resources} (per-request host resources: the {@code HostBuffers}
 *       accounting and its {@code NoMemoryException}).
 *   <li><b>Routing</b>: {@code routing} (route specs and the route table, read by every layer
 *       above).
 *   <li><b>Config</b>: {@code config} (settings, placeholders, {@code ConfigurationException}).
 *   <li><b>Shared</b>: the root value types every layer speaks: {@link Headers}, {@link Outcome},
 *       {@link GuestRequest}, {@link BackgroundTasks}.
 * </ol>
 *
 * A layer may use only the layers below it. No package slice may be part of a cycle. Named rules on
 * top say what the layers alone would let slip or say less clearly: the outbound domain knows
 * nothing of the ABI (its handles and codes are the ABI's), and the engine never signals with an
 * ABI trap (it says "no memory" with {@code NoMemoryException}; it only classifies traps the
 * hostcalls threw).
 */
class ArchitectureTest {
    private static final String CORE = "dev.vivarium.core";

    /** Root classes that are shared types (the bottom layer), not the facade. */
    private static final Set<String> SHARED =
            Set.of(
                    Headers.class.getName(),
                    Outcome.class.getName(),
                    GuestRequest.class.getName(),
                    BackgroundTasks.class.getName());

    private static final JavaClasses CLASSES =
            new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPackages(CORE);

    private static DescribedPredicate<JavaClass> shared() {
        return describe(
                "shared root types " + SHARED, c -> SHARED.contains(outermost(c).getName()));
    }

    private static DescribedPredicate<JavaClass> facade() {
        return describe(
                "the root facade and " + CORE + ".http",
                c ->
                        (c.getPackageName().equals(CORE)
                                        && !SHARED.contains(outermost(c).getName()))
                                || resideInAPackage(CORE + ".http..").test(c));
    }

    private static JavaClass outermost(JavaClass c) {
        JavaClass out = c;
        while (out.getEnclosingClass().isPresent()) {
            out = out.getEnclosingClass().get();
        }
        return out;
    }

    @Test
    void layersPointDownOnly() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("Facade")
                .definedBy(facade())
                .layer("Deploy")
                .definedBy(CORE + ".deploy..")
                .layer("Engine")
                .definedBy(CORE + ".engine..")
                .layer("Abi")
                .definedBy(CORE + ".abi..")
                .layer("Outbound")
                .definedBy(CORE + ".outbound..")
                .layer("Domains")
                .definedBy(CORE + ".kv..", CORE + ".dns..", CORE + ".log..")
                .layer("Resources")
                .definedBy(CORE + ".resources..")
                .layer("Routing")
                .definedBy(CORE + ".routing..")
                .layer("Config")
                .definedBy(CORE + ".config..")
                .layer("Shared")
                .definedBy(shared())
                .whereLayer("Facade")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("Deploy")
                .mayOnlyBeAccessedByLayers("Facade")
                .whereLayer("Engine")
                .mayOnlyBeAccessedByLayers("Facade", "Deploy")
                .whereLayer("Abi")
                .mayOnlyBeAccessedByLayers("Facade", "Deploy", "Engine")
                .whereLayer("Outbound")
                .mayOnlyBeAccessedByLayers("Facade", "Deploy", "Engine", "Abi")
                .whereLayer("Domains")
                .mayOnlyBeAccessedByLayers("Facade", "Deploy", "Engine", "Abi", "Outbound")
                .whereLayer("Resources")
                .mayOnlyBeAccessedByLayers(
                        "Facade", "Deploy", "Engine", "Abi", "Outbound", "Domains")
                .whereLayer("Routing")
                .mayOnlyBeAccessedByLayers(
                        "Facade", "Deploy", "Engine", "Abi", "Outbound", "Domains", "Resources")
                .whereLayer("Config")
                .mayOnlyBeAccessedByLayers(
                        "Facade",
                        "Deploy",
                        "Engine",
                        "Abi",
                        "Outbound",
                        "Domains",
                        "Resources",
                        "Routing")
                .whereLayer("Shared")
                .mayOnlyBeAccessedByLayers(
                        "Facade",
                        "Deploy",
                        "Engine",
                        "Abi",
                        "Outbound",
                        "Domains",
                        "Resources",
                        "Routing",
                        "Config")
                .check(CLASSES);
    }

    @Test
    void outboundSpeaksItsOwnTypesNotTheAbis() {
        noClasses()
                .that()
                .resideInAPackage(CORE + ".outbound..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(CORE + ".abi..")
                .because("the ABI layer owns the handles and turns outbound failures into codes")
                .check(CLASSES);
    }

    @Test
    void theEngineNeverThrowsAHostcallTrap() {
        noClasses()
                .that()
                .resideInAPackage(CORE + ".engine..")
                .should()
                .callCodeUnitWhere(
                        describe(
                                "a constructor or static factory of "
                                        + HostcallTrap.class.getName(),
                                call ->
                                        call.getTargetOwner().isEquivalentTo(HostcallTrap.class)
                                                && call.getTarget()
                                                        .resolveMember()
                                                        .map(ArchitectureTest::createsOne)
                                                        .orElse(true)))
                .because("a trap is the guest's fault found in a hostcall; the engine has its own")
                .check(CLASSES);
    }

    private static boolean createsOne(JavaCodeUnit unit) {
        return unit.isConstructor() || unit.getModifiers().contains(JavaModifier.STATIC);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching(CORE + ".(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void everyCoreClassSitsInALayer() {
        // A new package must be placed in the layers above, not slip past them.
        Set<String> known =
                Set.of(
                        "deploy",
                        "engine",
                        "abi",
                        "outbound",
                        "kv",
                        "dns",
                        "log",
                        "resources",
                        "routing",
                        "config",
                        "http");
        for (JavaClass c : CLASSES) {
            String pkg = c.getPackageName();
            if (pkg.equals(CORE)) {
                continue;
            }
            String first = pkg.substring(CORE.length() + 1).split("\\.")[0];
            if (!known.contains(first)) {
                throw new AssertionError(
                        c.getName()
                                + " is in package "
                                + pkg
                                + ", which ArchitectureTest puts in no layer; add it to "
                                + "layersPointDownOnly");
            }
        }
    }
}
