package org.resfim.engine;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The single entry point to DJL. Loading this class sets {@code ai.djl.offline=true} and
 * {@code OPT_OUT_TRACKING=true} before any DJL class is touched, so the PyTorch native library
 * comes from the bundled {@code pytorch-native-cpu} jar and nothing is ever downloaded.
 */
public final class Djl {
    static {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        // The native jar is extracted once into DJL's cache; keep the engine choice explicit.
        System.setProperty("ai.djl.default_engine", "PyTorch");
    }

    private static volatile Engine engine;
    /** Where every network's tensors are created ({@link UNet}'s manager; inputs and intermediates come from its sub-managers). */
    private static volatile ai.djl.Device device = ai.djl.Device.cpu();

    /** The Maven profile and the artifact that bring CUDA's libtorch (Maven Central serves no newer CUDA build for DJL). */
    /**
     * The device names {@link #setDevice} accepts: the CPU, or a CUDA GPU (the first, or by its index). The same syntax as
     * {@code training.device} ({@link org.resfim.federation.TrainingSettings#DEVICE_PATTERN}); federation sits above the
     * engine, so the engine keeps its own copy and {@code DeviceTest} checks that the two agree.
     */
    public static final String DEVICE_PATTERN = "cpu|cuda(:\\d{1,3})?";

    public static final String CUDA_ARTIFACT = "ai.djl.pytorch:pytorch-native-cu124:2.5.1 (with pytorch-jni 2.5.1-0.33.0, DJL 0.33.0)";

    private Djl() {
    }

    /** The PyTorch engine, loaded offline. */
    public static Engine engine() {
        Engine e = engine;
        if (e == null) {
            synchronized (Djl.class) {
                e = engine;
                if (e == null) {
                    e = Engine.getEngine("PyTorch");
                    engine = e;
                    // The launcher chose OMP_WAIT_POLICY=PASSIVE on a busy machine; say so now that libtorch runs.
                    String note = System.getenv("RESFIM_PASSIVE_NOTE");
                    if (note != null && !note.isBlank()) {
                        System.err.println("resfim: " + note);
                    }
                }
            }
        }
        return e;
    }

    /**
     * Sets libtorch's intra-op threads; 0 or negative = the {@code resfim.threads} system property if set,
     * else the number of available cores.
     */
    public static void setThreads(int threads) {
        engine();
        int n = threads > 0 ? threads : Integer.getInteger("resfim.threads", Runtime.getRuntime().availableProcessors());
        JniUtils.setNumThreads(n);
    }

    /**
     * Sets the device every network is created on: {@code cpu} (the default), {@code cuda} (GPU 0) or {@code cuda:N}.
     * A CUDA device that this build cannot reach is refused, never replaced by the CPU.
     *
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException naming the CUDA artifact and Maven profile when libtorch has no CUDA, or the GPU is absent
     */
    public static void setDevice(String spec) {
        String s = spec == null ? "cpu" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (!s.matches(DEVICE_PATTERN)) {
            throw new IllegalArgumentException("device '" + spec + "': must be cpu, cuda or cuda:N (a GPU's index)");
        }
        if (s.equals("cpu")) {
            device = ai.djl.Device.cpu();
            return;
        }
        int index = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
        Engine e = engine();
        int gpus = e.getGpuCount();
        boolean cuda = e.hasCapability(ai.djl.engine.StandardCapabilities.CUDA);
        if (!cuda || gpus == 0) {
            throw new IllegalStateException("device " + s + ": " + (cuda ? "libtorch has CUDA but sees no GPU (driver, CUDA_VISIBLE_DEVICES?)"
                    : "this ResFIM runs the CPU build of libtorch (ai.djl.pytorch:pytorch-native-cpu), which has no CUDA")
                    + "; build the CUDA one with `mvn -Pcuda -DskipTests package`, which takes " + CUDA_ARTIFACT
                    + ", on a machine with an NVIDIA driver for CUDA 12.4; or train with --device cpu");
        }
        if (index >= gpus) {
            throw new IllegalStateException("device " + s + ": libtorch sees " + gpus + " GPU" + (gpus == 1 ? "" : "s") + " (cuda:0"
                    + (gpus > 1 ? " to cuda:" + (gpus - 1) : "") + ")");
        }
        device = ai.djl.Device.gpu(index);
    }

    /** The device networks are created on (the CPU unless {@link #setDevice} chose a GPU). */
    public static ai.djl.Device device() {
        return device;
    }

    /** Whether networks are created on a GPU (so callers above the engine need no DJL type to ask). */
    public static boolean onGpu() {
        return device.isGpu();
    }

    /** The device as ResFIM names it: cpu or cuda:N. */
    public static String deviceName() {
        ai.djl.Device d = device;
        return d.isGpu() ? "cuda:" + d.getDeviceId() : "cpu";
    }

    public static int threads() {
        engine();
        return JniUtils.getNumThreads();
    }

    public static String djlVersion() {
        return engine().getClass().getPackage().getImplementationVersion() == null
                ? "0.36.0" : engine().getClass().getPackage().getImplementationVersion();
    }

    public static String libtorchVersion() {
        return engine().getVersion();
    }

    /** True when both offline switches are set (they are, once this class is loaded). */
    public static boolean offline() {
        return "true".equals(System.getProperty("ai.djl.offline"))
                && "true".equals(System.getProperty("OPT_OUT_TRACKING"));
    }
}
