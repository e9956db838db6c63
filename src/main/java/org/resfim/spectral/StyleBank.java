package org.resfim.spectral;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

/**
 * The sites' low-frequency amplitude windows (METHOD.md step 0): per site, one or more windows
 * {@code float[C][S][S]}, {@code S = 2b+1} (see {@link AmplitudeTransfer}). Never images, never phases.
 *
 * <p>A client builds its own entry with {@link #forSite}; the bank travels as a {@link ModelState}
 * ({@link #toState}/{@link #fromState}) whose tensors are named {@code style.<site>.<i>}, role
 * {@link TensorRole#STYLE_AMPLITUDE}, part {@link NetworkPart#ENCODER} (unused), shape {@code [C, S, S]}; the
 * server checks each client's entry with {@link #validate}/{@link #validateSite}, {@link #merge}s them and
 * forwards the result. Sites keep insertion order. Arrays are shared, not copied: treat them as read-only.
 */
public final class StyleBank {
    /** Prefix of the tensor names in {@link #toState}. */
    public static final String PREFIX = "style.";

    private final LinkedHashMap<String, List<float[][][]>> sites = new LinkedHashMap<>();

    /** An empty bank. */
    public StyleBank() {
    }

    /**
     * A bank holding only {@code site}'s entry, computed from its training images (after the training
     * resize and normalisation), C×H×W each, in [0,1].
     *
     * <ul>
     *   <li>{@code site-mean}: one window, the elementwise mean of all per-image windows;</li>
     *   <li>{@code per-image}: the windows of {@code min(M, n)} distinct images drawn at random with {@code seed},
     *       in draw order;</li>
     *   <li>σ > 0: each shared amplitude is multiplied by {@code max(0, 1 + σ·z)}, z ~ N(0,1) drawn from the same
     *       seeded stream after the image draw.</li>
     * </ul>
     */
    public static StyleBank forSite(String site, List<float[]> images, int channels, int height, int width,
                                    StyleConfig config, long seed) {
        checkSiteName(site);
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("style bank: site '" + site + "' has no training images to build a window from");
        }
        int b = AmplitudeTransfer.halfSize(height, width, config.beta());
        Random rng = new Random(seed);
        List<float[][][]> windows = new ArrayList<>();
        if (config.share() == StyleConfig.Share.SITE_MEAN) {
            int s = AmplitudeTransfer.windowSide(b);
            double[] sum = new double[channels * s * s];
            for (float[] image : images) {
                add(sum, AmplitudeTransfer.window(image, channels, height, width, b));
            }
            windows.add(unflatten(sum, 1.0 / images.size(), channels, s));
        } else {
            int n = images.size();
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            int take = Math.min(config.m(), n);
            for (int i = 0; i < take; i++) {            // partial Fisher–Yates: order[0..take) is the draw
                int j = i + rng.nextInt(n - i);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < take; i++) {
                windows.add(AmplitudeTransfer.window(images.get(order[i]), channels, height, width, b));
            }
        }
        if (config.sigma() > 0) {
            for (float[][][] w : windows) {
                for (float[][] plane : w) {
                    for (float[] row : plane) {
                        for (int j = 0; j < row.length; j++) {
                            row[j] = (float) (row[j] * Math.max(0.0, 1.0 + config.sigma() * rng.nextGaussian()));
                        }
                    }
                }
            }
        }
        StyleBank bank = new StyleBank();
        bank.put(site, windows);
        return bank;
    }

    /** Adds {@code site}'s windows (at least one; the list is copied, the arrays are not). Refuses a duplicate site. */
    public void put(String site, List<float[][][]> windows) {
        checkSiteName(site);
        if (sites.containsKey(site)) {
            throw new IllegalArgumentException("style bank already has an entry for site '" + site + "'");
        }
        if (windows == null || windows.isEmpty()) {
            throw new IllegalArgumentException("style bank: site '" + site + "' has no windows");
        }
        sites.put(site, List.copyOf(windows));
    }

    /** The union of several banks (e.g. every client's entry on the server); a site present twice is refused. */
    public static StyleBank merge(Collection<StyleBank> banks) {
        StyleBank out = new StyleBank();
        for (StyleBank b : banks) {
            for (Map.Entry<String, List<float[][][]>> e : b.sites.entrySet()) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** A copy of this bank without {@code site} (e.g. a client whose entry was refused). */
    public StyleBank without(String site) {
        StyleBank out = new StyleBank();
        sites.forEach((k, v) -> {
            if (!k.equals(site)) {
                out.sites.put(k, v);
            }
        });
        return out;
    }

    /** Site names in order. */
    public List<String> sites() {
        return new ArrayList<>(sites.keySet());
    }

    public boolean contains(String site) {
        return sites.containsKey(site);
    }

    public boolean isEmpty() {
        return sites.isEmpty();
    }

    /** The windows of {@code site} (unmodifiable list of shared arrays). */
    public List<float[][][]> windows(String site) {
        List<float[][][]> w = sites.get(site);
        if (w == null) {
            throw new IllegalArgumentException("style bank has no site '" + site + "' (sites " + sites.keySet() + ")");
        }
        return Collections.unmodifiableList(w);
    }

    /** The elementwise mean of {@code site}'s windows (the window itself in site-mean mode); a new array. */
    public float[][][] meanWindow(String site) {
        List<float[][][]> ws = windows(site);
        int c = ws.get(0).length;
        int s = c == 0 ? 0 : ws.get(0)[0].length;
        validateSite(site, c, (s - 1) / 2);             // all windows the shape of the first
        double[] sum = new double[c * s * s];
        for (float[][][] w : ws) {
            add(sum, w);
        }
        return unflatten(sum, 1.0 / ws.size(), c, s);
    }

    /**
     * Checks every site (see {@link #validateSite}).
     *
     * @throws IllegalArgumentException naming the first site at fault
     */
    public void validate(int expectedChannels, int expectedB) {
        for (String site : sites.keySet()) {
            validateSite(site, expectedChannels, expectedB);
        }
    }

    /**
     * Checks that every window of {@code site} has shape {@code [expectedChannels, 2b+1, 2b+1]} and only finite,
     * non-negative values.
     *
     * @throws IllegalArgumentException naming the site, the window and what is wrong
     */
    public void validateSite(String site, int expectedChannels, int expectedB) {
        List<float[][][]> ws = windows(site);
        for (int i = 0; i < ws.size(); i++) {
            AmplitudeTransfer.checkWindow(ws.get(i), expectedChannels, expectedB,
                    "style bank: site '" + site + "' window " + i);
        }
    }

    /**
     * The bank as a state: tensor {@code style.<site>.<i>} of shape {@code [C, S, S]} per window (data copied).
     * Windows must be rectangular ({@link #validate} first when in doubt).
     */
    public ModelState toState() {
        ModelState s = new ModelState();
        for (Map.Entry<String, List<float[][][]>> e : sites.entrySet()) {
            List<float[][][]> ws = e.getValue();
            for (int i = 0; i < ws.size(); i++) {
                float[][][] w = ws.get(i);
                int c = w.length;
                int side = c == 0 ? 0 : w[0].length;
                float[] data = new float[c * side * side];
                for (int ch = 0; ch < c; ch++) {
                    for (int r = 0; r < side; r++) {
                        if (w[ch][r].length != side) {
                            throw new IllegalArgumentException("style bank: site '" + e.getKey() + "' window " + i
                                    + " is not square [C, S, S]");
                        }
                        System.arraycopy(w[ch][r], 0, data, (ch * side + r) * side, side);
                    }
                }
                s.put(new Tensor(PREFIX + e.getKey() + "." + i, TensorRole.STYLE_AMPLITUDE, NetworkPart.ENCODER,
                        new int[] {c, side, side}, data));
            }
        }
        return s;
    }

    /**
     * Reads a bank from a state made by {@link #toState}: every tensor must be named {@code style.<site>.<i>}
     * (i a non-negative integer; windows ordered by i), have role {@link TensorRole#STYLE_AMPLITUDE} and shape
     * {@code [C, S, S]}. Values are not checked here: call {@link #validate}.
     *
     * @throws IllegalArgumentException naming the tensor (and site) at fault
     */
    public static StyleBank fromState(ModelState state) {
        LinkedHashMap<String, TreeMap<Integer, float[][][]>> bySite = new LinkedHashMap<>();
        for (Tensor t : state.tensors()) {
            String name = t.name();
            int dot = name.lastIndexOf('.');
            if (!name.startsWith(PREFIX) || dot <= PREFIX.length()) {
                throw new IllegalArgumentException("style bank: tensor '" + name + "' is not named style.<site>.<index>");
            }
            String site = name.substring(PREFIX.length(), dot);
            int index;
            try {
                index = Integer.parseInt(name.substring(dot + 1));
            } catch (NumberFormatException e) {
                index = -1;
            }
            if (index < 0) {
                throw new IllegalArgumentException("style bank: site '" + site + "' tensor '" + name
                        + "' does not end in a window index");
            }
            if (t.role() != TensorRole.STYLE_AMPLITUDE) {
                throw new IllegalArgumentException("style bank: site '" + site + "' tensor '" + name + "' has role "
                        + t.role() + ", expected STYLE_AMPLITUDE");
            }
            int[] shape = t.shape();
            if (shape.length != 3 || shape[1] != shape[2]) {
                throw new IllegalArgumentException("style bank: site '" + site + "' tensor '" + name + "' has shape "
                        + Arrays.toString(shape) + ", expected [C, S, S]");
            }
            float[][][] w = unflatten(t.data(), shape[0], shape[1]);
            bySite.computeIfAbsent(site, k -> new TreeMap<>()).put(index, w);
        }
        StyleBank bank = new StyleBank();
        bySite.forEach((site, ws) -> bank.put(site, new ArrayList<>(ws.values())));
        return bank;
    }

    private static void checkSiteName(String site) {
        if (site == null || site.isEmpty()) {
            throw new IllegalArgumentException("style bank: a site needs a non-empty name");
        }
    }

    private static void add(double[] sum, float[][][] w) {
        int k = 0;
        for (float[][] plane : w) {
            for (float[] row : plane) {
                for (float v : row) {
                    sum[k++] += v;
                }
            }
        }
    }

    private static float[][][] unflatten(double[] flat, double scale, int c, int s) {
        float[][][] w = new float[c][s][s];
        int k = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    w[ch][i][j] = (float) (flat[k++] * scale);
                }
            }
        }
        return w;
    }

    private static float[][][] unflatten(float[] flat, int c, int s) {
        float[][][] w = new float[c][s][s];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < s; i++) {
                System.arraycopy(flat, (ch * s + i) * s, w[ch][i], 0, s);
            }
        }
        return w;
    }
}
