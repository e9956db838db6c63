package org.resfim.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;
import org.resfim.federation.TrainingSettings;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The device plumbing (#20 item 4), on the CPU this project's machines have: every tensor of a network, its inputs,
 * intermediates, gradients and optimizer state lies on the device chosen; a CUDA device this build cannot reach is
 * refused naming the DJL artifact and the Maven profile, never replaced by the CPU; the CPU stays the default.
 */
class DeviceTest {
    @AfterEach
    void backToCpu() {
        Djl.setDevice("cpu");
    }

    private static Set<Device> devices(NDManager m) {
        Set<Device> out = new HashSet<>();
        for (NDArray a : m.getManagedArrays()) {
            out.add(a.getDevice());
        }
        return out;
    }

    @Test
    void everyTensorOfATrainingStepLiesOnTheChosenDevice() {
        Djl.setDevice("cpu");
        assertEquals(Device.cpu(), Djl.device());
        assertEquals("cpu", Djl.deviceName());
        try (UNet net = new UNet(EngineFixtures.tiny(), 3L); Adam adam = Adam.standard(net, 5e-4, null)) {
            assertEquals(Device.cpu(), net.manager().getDevice());
            for (UNet.Param p : net.params()) {
                assertEquals(Device.cpu(), p.array().getDevice(), p.name());
            }
            Set<Device> duringStep = new HashSet<>();
            int[] arraysDuringStep = {0};
            TrainingHooks hooks = new TrainingHooks() {
                @Override
                public NDArray extraLoss(UNet n, NDManager step) {
                    // inputs, targets and the forward pass's intermediates live in the step's sub-manager by now
                    arraysDuringStep[0] = n.manager().getManagedArrays().size();
                    duringStep.addAll(devices(n.manager()));
                    return null;
                }
            };
            LocalTrainer.step(net, adam, EngineFixtures.randomBatch(2, 3, 32, 1L), 1e-3, hooks, 0);
            assertTrue(arraysDuringStep[0] > net.params().size(), "the step's arrays were seen: " + arraysDuringStep[0]);
            assertEquals(Set.of(Device.cpu()), duringStep);
            assertEquals(Set.of(Device.cpu()), devices(net.manager()), "parameters and Adam's moments");
        }
    }

    @Test
    void theCpuIsTheDefaultAndLeavesTheSettingsAsBefore() {
        TrainingSettings t = TrainingSettings.from(Map.of());
        assertEquals("cpu", t.device());
        assertFalse(t.toConfig().containsKey("device"), "a CPU run's resolved configuration (and its hash) is that of before");
        assertEquals("cuda:1", TrainingSettings.from(Map.of("device", "CUDA:1")).device());
        assertEquals("cuda:1", TrainingSettings.from(Map.of("device", "cuda:1")).toConfig().get("device"));
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingSettings.from(Map.of("device", "gpu")));
        assertTrue(e.getMessage().contains("training.device") && e.getMessage().contains("'gpu'"), e.getMessage());
    }

    @Test
    void theEngineAcceptsExactlyTheDeviceNamesOfTrainingDevice() {
        // engine sits below federation, so Djl keeps its own copy of training.device's syntax: the two must not drift apart
        assertEquals(TrainingSettings.DEVICE_PATTERN, Djl.DEVICE_PATTERN);
    }

    @Test
    void cudaWithoutCudaNativesIsRefusedNamingTheArtifact() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Djl.setDevice("cuda0"));
        assertTrue(bad.getMessage().contains("'cuda0'"), bad.getMessage());
        if (Djl.engine().getGpuCount() > 0) {
            return; // a CUDA build on a GPU machine: nothing to refuse
        }
        for (String d : List.of("cuda", "cuda:1")) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Djl.setDevice(d));
            assertTrue(e.getMessage().contains("pytorch-native-cu124") && e.getMessage().contains("mvn -Pcuda"), e.getMessage());
            assertEquals(Device.cpu(), Djl.device(), "no silent fallback, and no half-set device");
        }
    }
}
