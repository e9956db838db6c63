package org.resfim.engine;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.RawExport;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Independent correctness check: the Java U-Net and the PyTorch network of
 * ../shared/bench/torch_unet_bench.py, given the same weights and input, produce the same logits
 * (within 1e-4) and the same gradients of one loss step (within 1e-3 relative). Weights travel
 * through {@link RawExport}. CI sets RESFIM_REQUIRE_TORCH=1, so a missing PyTorch fails there.
 */
class TorchCrossCheckTest {
    static final Path BENCH = Path.of("..", "shared", "bench", "torch_unet_bench.py");
    static final Path SCRIPT = Path.of("src", "test", "python", "torch_crosscheck.py");

    @Test
    void javaAndPyTorchAgreeOnLogitsGradientsAndRunningStatistics(@TempDir Path tmp) throws Exception {
        String python = findPythonWithTorch();
        if (python == null) {
            String msg = "no python3 with torch found (apt-get install python3-torch, or set RESFIM_PYTHON)";
            if ("1".equals(System.getenv("RESFIM_REQUIRE_TORCH"))) {
                fail(msg);
            }
            Assumptions.abort(msg + "; CI sets RESFIM_REQUIRE_TORCH=1 and runs it");
        }
        assertTrue(Files.exists(BENCH), "peer benchmark not found at " + BENCH.toAbsolutePath());
        UNetConfig cfg = UNetConfig.reference();
        Batch b = EngineFixtures.randomBatch(2, 3, 32, 42);
        Path weights = tmp.resolve("weights");
        Path input = tmp.resolve("input");
        Path out = tmp.resolve("torch");
        ModelState javaGrad;
        ModelState javaFisher;
        ModelState statsAfter;
        float[] logitsEval;
        float[] logitsTrain;
        double javaLoss;
        try (UNet net = new UNet(cfg, 123)) {
            // Non-trivial running statistics, so evaluation mode is tested with real values.
            ModelState s = net.toState();
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (Tensor t : s.tensors()) {
                if (t.role() == TensorRole.NORM_RUNNING_MEAN) {
                    for (int i = 0; i < t.size(); i++) {
                        t.data()[i] = (float) (0.1 * (r.nextDouble() - 0.5));
                    }
                } else if (t.role() == TensorRole.NORM_RUNNING_VAR) {
                    for (int i = 0; i < t.size(); i++) {
                        t.data()[i] = (float) (0.5 + r.nextDouble());
                    }
                }
            }
            net.load(s);
            RawExport.write(net.toState(), weights);
            ModelState in = new ModelState();
            in.put(new Tensor("x", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 3, 32, 32}, b.images()));
            in.put(new Tensor("y", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 1, 32, 32}, b.targets()));
            RawExport.write(in, input);
            logitsEval = Inference.logits(net, b);
            try (ai.djl.ndarray.NDManager m = net.manager().newSubManager()) {
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
                logitsTrain = net.forward(LocalTrainer.input(m, b), true).toFloatArray();
            }
            net.load(s); // undo the running-statistics update of that forward pass
            javaLoss = Inference.loss(net, b);
            javaFisher = FisherEstimator.estimate(net, java.util.List.of(b));
            javaGrad = Gradients.batch(net, b, true);
            statsAfter = net.toState().filter(t -> t.role().isNormStatistic());
        }
        Process p = new ProcessBuilder(python, SCRIPT.toString(), BENCH.toString(), weights.toString(), input.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), "torch_crosscheck.py failed:\n" + log);
        ModelState torch = RawExport.read(out);

        // Evaluation mode is checked against PyTorch in float64 — the exact function both float32 programs
        // approximate. (ResFIM folds BatchNorm into the convolutions there; with these deliberately
        // mismatched running statistics the logits reach |32|, and PyTorch's own float32 result is
        // 1.1e-4 from float64 while ResFIM's is 8.6e-5.)
        assertClose("logits (evaluation mode, vs float64)", torch.get("logits_eval_f64").data(), logitsEval, 1e-4);
        assertClose("logits (training mode)", torch.get("logits_train").data(), logitsTrain, 1e-4);
        assertNotEquals(javaLoss, 0.0);
        int compared = 0;
        for (Tensor g : javaGrad.tensors()) {
            float[] t = torch.get("grad." + g.name()).data();
            if (g.role() == TensorRole.CONV_BIAS) {
                // Bias before BatchNorm: the true gradient is 0; both sides hold float noise.
                assertClose("grad." + g.name(), t, g.data(), 1e-5);
                continue;
            }
            double rel = relativeError(t, g.data());
            assertTrue(rel < 1e-3, "gradient of " + g.name() + ": relative error " + rel);
            compared++;
        }
        assertEquals(javaGrad.size(), torch.names().stream().filter(n -> n.startsWith("grad.")).count());
        assertTrue(compared > 40);
        for (Tensor f : javaFisher.tensors()) {
            // In evaluation mode BatchNorm is affine, so conv biases have real (non-zero) gradients here.
            float[] t = torch.get("fisher." + f.name()).data();
            double rel = relativeError(t, f.data());
            assertTrue(rel < 1e-4, "per-sample Fisher of " + f.name() + ": relative error " + rel);
        }
        for (Tensor st : statsAfter.tensors()) {
            assertClose("running statistic " + st.name(), torch.get("stat." + st.name()).data(), st.data(), 1e-5);
        }
    }

    static void assertClose(String what, float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + " length");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= tol, what + ": max abs difference " + worst + " > " + tol);
    }

    static double relativeError(float[] expected, float[] actual) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            num += Math.pow(expected[i] - actual[i], 2);
            den += Math.pow(expected[i], 2);
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    static String findPythonWithTorch() throws IOException, InterruptedException {
        String env = System.getenv("RESFIM_PYTHON");
        for (String cand : env != null ? new String[] {env} : new String[] {"/usr/bin/python3", "python3"}) {
            try {
                Process p = new ProcessBuilder(cand, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return cand;
                }
            } catch (IOException e) {
                // not installed: try the next candidate
            }
        }
        return null;
    }
}
