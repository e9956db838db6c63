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
