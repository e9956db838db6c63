package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.config.OptionException;
import org.resfim.data.FederationConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A configuration value or key that cannot be used is refused in one line naming the file and the key as it is
 * written there (a method spec on the command line: the option and the spec), with the nearest known key.
 */
class PlanMessagesTest {
    @TempDir
    Path tmp;

    private String refused(String yaml, List<String> methods) throws Exception {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, yaml);
        RuntimeException e = assertThrows(RuntimeException.class, () -> Plans.build(TinyRuns.overrides(f, tmp.resolve("out"), methods)));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage().replace(f.toString(), "c.yaml");
    }

    private static String tiny() {
        return TinyRuns.yaml(4);
    }

    @Test
    void numericValuesNameTheKeyAndTheFile() throws Exception {
        assertEquals("c.yaml: federation.rounds must be at least 1, got 0", refused(tiny().replace("rounds: 4", "rounds: 0"), null));
        assertEquals("c.yaml: training.local_epochs must be between 1 and 1000, got 0",
                refused(tiny().replace("training: {", "training: {local_epochs: 0, "), null));
        assertEquals("c.yaml: evaluation.folds must be between 1 and 100, got 0", refused(tiny() + "evaluation: {folds: 0}\n", null));
        assertEquals("c.yaml: training.lr must be in (0, 10], got 0", refused(tiny().replace("lr: 0.003", "lr: 0"), null));
        assertEquals("c.yaml: model.norm must be one of batch, group, instance, none, got 'bacth' (did you mean 'batch'?)",
                refused(tiny().replace("depth: 3, ", "depth: 3, norm: bacth, "), null));
        assertEquals("c.yaml: data.image_size 30x30 is not a multiple of 4, which a U-Net of model.depth = 3 needs (2^(depth-1))",
                refused(tiny().replace("size: 32}", "size: 30}"), null));
    }

    @Test
    void selectAfterZeroIsNotAdvisedWhenItIsAlreadyZero() {
        org.resfim.federation.EvaluationSettings zero = org.resfim.federation.EvaluationSettings.from(java.util.Map.of("select_after", 0));
        zero.validate(1);
        RuntimeException e = assertThrows(RuntimeException.class, () -> zero.validate(0));
        assertEquals("federation.rounds must be at least 1, got 0", e.getMessage());
        OptionException o = assertThrows(OptionException.class,
                () -> zero.validate(0, org.resfim.config.Origin.file("c.yaml").withOption("federation.rounds", "--rounds")));
        assertEquals("--rounds must be at least 1, got 0", o.getMessage());
    }

    @Test
    void unknownKeysOutsideDataNameTheFileAndSuggest() throws Exception {
        assertEquals("c.yaml: unknown key 'training.learning_rate' (did you mean 'training.lr'?)",
                refused(tiny().replace("lr: 0.003", "learning_rate: 0.003"), null));
        assertEquals("c.yaml: unknown key 'training.weight-decay' (did you mean 'training.weight_decay'?)",
                refused(tiny().replace("lr: 0.003", "weight-decay: 0.001"), null));
        assertEquals("c.yaml: unknown key 'federation.round' (did you mean 'federation.rounds'?)", refused(tiny().replace("rounds: 4", "round: 4"), null));
        assertEquals("c.yaml: unknown key 'style.betta' (did you mean 'style.beta'?)", refused(tiny() + "style: {betta: 0.05}\n", null));
        assertEquals("c.yaml: unknown key 'bn.stat' (did you mean 'bn.stats'?)", refused(tiny() + "bn: {stat: shared}\n", null));
        assertTrue(refused(tiny().replace("  list:", "  fedprx: {mu: 0.1}\n  list:"), null)
                .startsWith("c.yaml: unknown key 'method.fedprx' (did you mean 'method.fedprox'?)"));
    }

    @Test
    void methodParameterTyposNameWhereTheParameterIsWritten() throws Exception {
        String withFedprox = tiny().replace("  list: [pfl-resfim, fedavg]", "  list: [pfl-resfim, fedprox]\n  fedprox: {muu: 0.1}");
        assertEquals("c.yaml: unknown key 'method.fedprox.muu' (did you mean 'method.fedprox.mu'?)", refused(withFedprox, null));
        assertEquals("c.yaml: unknown key 'method.fedprox.muu' (did you mean 'method.fedprox.mu'?)",
                refused(tiny().replace("  list:", "  fedprox: {muu: 0.1}\n  list:"), null), "a section of a method not listed is checked too");
        assertEquals("c.yaml: method.fedprox.mu must be at least 0, got -1",
                refused(tiny().replace("  list:", "  fedprox: {mu: -1}\n  list:"), null));
        assertEquals("c.yaml: unknown key 'method.pfl-resfim.sample' (did you mean 'method.pfl-resfim.samples'?)",
                refused(tiny().replace("{samples: 4,", "{sample: 4,"), null));
        assertEquals("--methods 'fedprox:muu=0.1': fedprox has no parameter 'muu' (did you mean 'mu'?); its parameters: mu",
                refused(tiny(), List.of("fedavg", "fedprox:muu=0.1")));
        assertEquals("--methods 'fedprox:mu=-1': mu must be at least 0, got -1", refused(tiny(), List.of("fedprox:mu=-1")));
        assertEquals("c.yaml: method.list entry 'fedprox:muu=0.1': fedprox has no parameter 'muu' (did you mean 'mu'?); its parameters: mu",
                refused(tiny().replace("[pfl-resfim, fedavg]", "['fedprox:muu=0.1']"), null));
        assertTrue(refused(tiny(), List.of("fedvag")).startsWith("--methods 'fedvag': unknown method 'fedvag' (did you mean 'fedavg'?)"));
    }

    @Test
    void aMethodsParameterAfterACommaBelongsToTheMethodBeforeIt() throws Exception {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, tiny());
        // picocli splits --methods fedavg,pfl-resfim:variant=fim,rho=0.1,local at every comma
        RunPlan plan = Plans.build(TinyRuns.overrides(f, tmp.resolve("out"),
                List.of("fedavg", "pfl-resfim:variant=fim", "rho=0.1", "local")));
        assertEquals(List.of("fedavg", "pfl-resfim:variant=fim,rho=0.1", "local"), plan.methods());
        assertEquals(List.of("fedprox:mu=0.1", "fedavg"), Plans.build(TinyRuns.overrides(f, tmp.resolve("out"),
                List.of("fedprox:mu=0.1", "fedavg"))).methods(), "a name without '=' starts a method");
        assertEquals("--methods 'fedprox:mu=0.1,muu=3': fedprox has no parameter 'muu' (did you mean 'mu'?); its parameters: mu",
                refused(tiny(), List.of("fedprox:mu=0.1", "muu=3")));
        assertTrue(refused(tiny(), List.of("mu=0.1", "fedavg")).startsWith("--methods 'mu=0.1': unknown method"),
                "a parameter with no method before it is not silently dropped");
        Files.writeString(f, tiny().replace("[pfl-resfim, fedavg]", "[fedavg, pfl-resfim:variant=fim,rho=0.1]"));
        assertEquals(List.of("fedavg", "pfl-resfim:variant=fim,rho=0.1"), Plans.build(TinyRuns.overrides(f, tmp.resolve("out"), null)).methods(),
                "a YAML flow list splits at the same commas");
    }

    @Test
    void aSettingTheRunWouldNeverReadIsRefusedWhereItIsWritten() throws Exception {
        // tiny() names the residual (resfim: {variant: resfim}); without it pFL-ResFIM is own Fisher, which shares no window
        String fim = tiny().replace("resfim: {variant: resfim}", "");
        assertEquals("--methods 'pfl-resfim:beta=0.1': style.beta = 0.1 shapes the style windows, and with resfim.variant = fim (the default)"
                + " none is shared (they are with resfim.variant = resfim or layerwise, resfim.budget = gain, or style.augment = on); it would"
                + " change nothing", refused(fim, List.of("pfl-resfim:beta=0.1")));
        assertTrue(refused(fim + "style: {lambda: 0.5}\n", null).startsWith("c.yaml: pfl-resfim: style.lambda = 0.5 is read by the estimate on"
                + " foreign styles"), "the file's setting, the file named");
        Path f = tmp.resolve("c.yaml");
        // the spec makes the file's settings count: the file's section alone is not held to a combination
        Files.writeString(f, fim + "resfim: {residual: relative, eps: tau}\nstyle: {beta: 0.1}\n");
        assertEquals(List.of("pfl-resfim:variant=resfim"),
                Plans.build(TinyRuns.overrides(f, tmp.resolve("out"), List.of("pfl-resfim:variant=resfim"))).methods());
        assertTrue(refused(fim + "resfim: {residual: relative}\n", List.of("pfl-resfim")).startsWith("c.yaml: method.pfl-resfim: pfl-resfim: "
                + "resfim.residual = relative needs a residual"), "and a spec that adds nothing leaves the fault with the file");
    }

    @Test
    void checkReadsEveryNonDataSectionAndAcceptsAMissingMethodList() throws Exception {
        Plans.check(FederationConfig.parse(tiny().replace("  list: [pfl-resfim, fedavg]\n", ""), tmp, "c.yaml"));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> Plans.check(FederationConfig.parse(tiny().replace("lr: 0.003", "learning_rate: 0.003"), tmp, "c.yaml")));
        assertEquals("c.yaml: unknown key 'training.learning_rate' (did you mean 'training.lr'?)", e.getMessage());
    }
}
