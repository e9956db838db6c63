package org.resfim;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layers of {@code ../shared/docs/ARCHITECTURE.md}, checked on the compiled main classes. ArchUnit reads bytecode,
 * so a fully qualified name in the source ({@code org.resfim.run.Cell} without an import) counts exactly as an import.
 *
 * <p>Layer order, top to bottom (a layer may use only the layers below it; inside a layer anything goes):
 * <pre>
 * cli
 * bench                  measures every layer below (training, aggregation, estimate, secure aggregation: its
 *                        SecAggBenchmark drives federation.secagg's round), called only by cli's bench command; nothing
 *                        imports it, so it sits right under cli
 * transport
 * run                    with run.html: the HTML report, compare and predict read run directories (RunDirectory,
 *                        cells, resume info, model settings), so they live in run, above report's tables
 * report
 * algorithms             implement federation's contract (Flower's shape): above federation, which owns the contract
 *                        and never imports them (issue #19 keeps this direction)
 * federation (+ secagg)  federation.secagg is secure aggregation's glue to federation's messages and transport: the
 *                        wire format (SecAggWire, on Message and Sections), the coordinator's round over the Transport
 *                        (SecureRound) and the site's step (SecAggSite). It speaks federation's types, so it lives in
 *                        federation, and runs privacy.secagg's protocol, which lies below
 * privacy (+ secagg)     the mechanisms and their math, on state only: settings, accountant, central noise, ledger, the
 *                        site's DP (SiteDp, StyleDp: on an upload's tensors and mask, which SiteParticipant hands in and
 *                        wraps back into its Message) and privacy.secagg's protocol (SecAgg, SecAggClient, SecAggServer,
 *                        Shamir, Crypto, FixedPoint). Below federation: FederationSettings carries PrivacySettings, the
 *                        Coordinator and Aggregation read it, the site participant applies the mechanisms; privacy
 *                        imports only state and config, never federation (no exceptions)
 * fisher, spectral
 * engine                 the only package that imports ai.djl
 * model                  the engine-free description of the U-Net (configuration, layers, seeded initial weights):
 *                        the engine builds networks from it and the coordinator its initial model without the engine;
 *                        it imports only state
 * data
 * state, metrics, config
 * </pre>
 */
class ArchitectureTest {
    private record Layer(String name, String... packages) {
    }

    private static final List<Layer> LAYERS = List.of(
            new Layer("cli", "org.resfim.cli.."),
            new Layer("bench", "org.resfim.bench.."),
            new Layer("transport", "org.resfim.transport.."),
            new Layer("run", "org.resfim.run.."),
            new Layer("report", "org.resfim.report.."),
            new Layer("algorithms", "org.resfim.algorithms.."),
            new Layer("federation", "org.resfim.federation.."),
            new Layer("privacy", "org.resfim.privacy.."),
            new Layer("fisher+spectral", "org.resfim.fisher..", "org.resfim.spectral.."),
            new Layer("engine", "org.resfim.engine.."),
            new Layer("model", "org.resfim.model.."),
            new Layer("data", "org.resfim.data.."),
            new Layer("state+metrics+config", "org.resfim.state..", "org.resfim.metrics..", "org.resfim.config.."));

    /**
     * Federation's site side: the participant and the client procedures train through the engine (ClientContext hands
     * them the network, Batches the engine's batches). ProcedureState is not here: it is the engine-free state either side
     * keeps across rounds, and the coordinator's checkpoint stores the server procedure's in it.
     */
    private static final Set<String> FEDERATION_SITE_SIDE = Set.of(
            "org.resfim.federation.SiteParticipant", "org.resfim.federation.ClientProcedure",
            "org.resfim.federation.ClientContext", "org.resfim.federation.Batches");

    /** Federation's classes that name both sides: an Algorithm makes a client procedure and a server procedure. */
    private static final Set<String> FEDERATION_BOTH_SIDES = Set.of("org.resfim.federation.Algorithm");

    /** transport's site side: the site process's runtime, its session and its gRPC client. */
    private static final Set<String> TRANSPORT_SITE_SIDE = Set.of(
            "org.resfim.transport.SiteRuntime", "org.resfim.transport.SiteSession", "org.resfim.transport.SiteClient");

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() throws URISyntaxException {
        // the folder the main classes were compiled to (never the test classes, which may cross layers)
        Path classes = Path.of(org.resfim.state.Tensor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        main = new ClassFileImporter().importPath(classes);
        assertTrue(main.size() > 300, "the main classes were imported from " + classes + ": " + main.size());
    }

    /** The top-level class a (possibly nested or anonymous) class belongs to: {@code a.b.C$D$1} → {@code a.b.C}. */
    private static String topLevel(JavaClass c) {
        String n = c.getName();
        int d = n.indexOf('$');
        return d < 0 ? n : n.substring(0, d);
    }

    /** The named top-level classes and every class nested in them. */
    private static DescribedPredicate<JavaClass> classesOf(String description, Set<String> topLevelNames) {
        return DescribedPredicate.describe(description, c -> topLevelNames.contains(topLevel(c)));
    }

    private static String[] allLayerPackages() {
        List<String> all = new ArrayList<>();
        for (Layer l : LAYERS) {
            all.addAll(Arrays.asList(l.packages()));
        }
        return all.toArray(String[]::new);
    }

    @Test
    void everyClassLiesInALayer() {
        // a new top-level package must be placed in LAYERS (and in ARCHITECTURE.md), not slip past the rules
        classes().should().resideInAnyPackage(allLayerPackages()).check(main);
    }

    @Test
    void lowerLayersNeverUseHigherOnes() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (Layer l : LAYERS) {
            layers = layers.layer(l.name()).definedBy(l.packages());
        }
        layers = layers.whereLayer(LAYERS.get(0).name()).mayNotBeAccessedByAnyLayer();
        for (int i = 1; i < LAYERS.size(); i++) {
            String[] above = LAYERS.subList(0, i).stream().map(Layer::name).toArray(String[]::new);
            layers = layers.whereLayer(LAYERS.get(i).name()).mayOnlyBeAccessedByLayers(above);
        }
        layers.check(main);
    }

    @Test
    void federationNeverImportsAlgorithms() {
        // implied by the layers; stated on its own because it is the rule ARCHITECTURE.md's order gets wrong
        noClasses().that().resideInAPackage("org.resfim.federation..")
                .should().dependOnClassesThat().resideInAPackage("org.resfim.algorithms..")
                .check(main);
    }

    @Test
    void privacyNeverImportsFederation() {
        // implied by the layers; stated on its own because privacy.secagg's message glue once did (issue #19): the glue
        // that speaks federation's Message/Transport lives in federation.secagg, the mechanisms work on state
        noClasses().that().resideInAPackage("org.resfim.privacy..")
                .should().dependOnClassesThat().resideInAPackage("org.resfim.federation..")
                .check(main);
    }

    @Test
    void onlyTheEngineImportsDjl() {
        noClasses().that().resideOutsideOfPackage("org.resfim.engine..")
                .should().dependOnClassesThat().resideInAPackage("ai.djl..")
                .check(main);
    }

    /**
     * The coordinator side, which the server process runs without DJL on its class path (EngineFreeServerTest runs it;
     * this is the static check of its own classes' direct dependencies):
     * <ul>
     * <li>federation without its site side (FEDERATION_SITE_SIDE) and without Algorithm, which makes both sides: the
     *     Coordinator and its checkpoint, Aggregation, the ServerProcedure contract, ProcedureState, the Transport and the
     *     in-process transport, Message/Request/Reply/Phase/Sections, the settings, the site store;</li>
     * <li>federation.secagg without the site's step (SecAggSite): the wire format and the round MaskedAverageServer
     *     runs (SecAggWire, SecureRound);</li>
     * <li>every server procedure (a class assignable to {@code federation.ServerProcedure}: algorithms' MaskedAverageServer
     *     and PflResFim's Server) and the classes nested in one;</li>
     * <li>transport without its site side: FederationServer, GrpcTransport, ServerRuntime, the health endpoint,
     *     allow/deny lists, audit, frames and TLS;</li>
     * <li>run's RunDriver, which the server's ServerRuntime drives (RunDirectory and ResumeInfo are shared with the
     *     simulation and ask the engine only when the process runs it, so they are not listed);</li>
     * <li>the model package, from which the coordinator builds the initial model.</li>
     * </ul>
     * They use neither engine nor DJL, nor federation's site side (which does).
     */
    @Test
    void theCoordinatorSideImportsNoEngine() {
        DescribedPredicate<JavaClass> federationSiteSide = classesOf("federation's site side " + FEDERATION_SITE_SIDE, FEDERATION_SITE_SIDE);
        DescribedPredicate<JavaClass> coordinator = DescribedPredicate.describe("the coordinator side", c -> {
            String pkg = c.getPackageName();
            String top = topLevel(c);
            if (pkg.equals("org.resfim.federation")) {
                return !FEDERATION_SITE_SIDE.contains(top) && !FEDERATION_BOTH_SIDES.contains(top);
            }
            if (pkg.equals("org.resfim.federation.secagg")) {
                return !top.equals("org.resfim.federation.secagg.SecAggSite");
            }
            if (pkg.equals("org.resfim.transport")) {
                return !TRANSPORT_SITE_SIDE.contains(top);
            }
            if (pkg.startsWith("org.resfim.model")) {
                return true;
            }
            if (top.equals("org.resfim.run.RunDriver")) {
                return true;
            }
            return serverProcedure(c);
        });
        noClasses().that(coordinator)
                .should().dependOnClassesThat(resideInAnyPackage("org.resfim.engine..", "ai.djl..").or(federationSiteSide))
                .check(main);
    }

    /** A server procedure, or a class nested in one. */
    private static boolean serverProcedure(JavaClass c) {
        for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
            if (k.isAssignableTo("org.resfim.federation.ServerProcedure")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theServerProceduresAreFound() {
        // the coordinator rule above selects server procedures by type: make sure it still finds them
        List<String> found = main.stream().filter(c -> c.isAssignableTo("org.resfim.federation.ServerProcedure"))
                .map(JavaClass::getName).toList();
        assertTrue(found.contains("org.resfim.algorithms.MaskedAverageServer") && found.contains("org.resfim.algorithms.PflResFim$Server"), found.toString());
    }

    @Test
    void noCyclesBetweenTopLevelPackages() {
        slices().matching("org.resfim.(*)..").should().beFreeOfCycles().check(main);
    }
}
