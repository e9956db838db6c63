package org.resfim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Suggest;
import org.resfim.config.TopLevel;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * A federation's configuration, parsed from YAML and immutable ({@code with…} methods return changed copies).
 *
 * <p>This package reads and checks {@code seed} and the {@code data:} section; the other sections
 * ({@code federation:}, {@code method:}, {@code training:}, {@code evaluation:}, …) are kept as raw maps for
 * the packages that interpret them. See {@code examples/*.yaml} for the schema.
 */
public final class FederationConfig {
    public static final int DEFAULT_IMAGE_SIZE = 128;
    /**
     * The keys this class reads, each declared once with its default and meaning: the top-level keys (section
     * {@code ""}) and the {@code data:} section with its sub-sections ({@code data.sites[]} for the keys of one
     * site). Parsing accepts exactly these ({@link #keysOf}); {@code resfim config explain} prints them.
     */
    private static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("", "name", "", "a name for the federation (free text)"),
            new ConfigKey("", "description", "", "free text"),
            new ConfigKey("", "seed", 0, "split seed (and synthetic data seed unless data.synthetic.seed is set)"),
            new ConfigKey("", "seeds", "[seed]", "seeds of a simulation: splits, initial weights and training order of each repetition"),
            new ConfigKey("data", "root", "the configuration's folder", "base of the site folders, relative to the configuration file; --data-root replaces it"),
            new ConfigKey("data", "image_size", DEFAULT_IMAGE_SIZE, "training resolution: a number or [height, width] (synthetic: its size)"),
            new ConfigKey("data", "channels", 3, "model input channels, 1 or 3 (grey replicated to 3, colour to grey by luminance)"),
            new ConfigKey("data", "preprocess", "{}", "how a decoded image becomes a sample (keys under data.preprocess)"),
            new ConfigKey("data", "augment", "{hflip: 0.5, vflip: 0.5, rot90: 0.5}", "training augmentation probabilities, or true / false"),
            new ConfigKey("data", "split", "{train: 0.7, val: 0.1, test: 0.2}", "split ratios by patient; an official split is honoured"),
            new ConfigKey("data", "manifest", "none", "a saved split manifest to reproduce (hashes checked), e.g. a run's manifests/seed-0.json"),
            new ConfigKey("data", "defaults", "{}", "any site key except name, merged into every site (site keys win)"),
            new ConfigKey("data", "sites", "[]", "the sites, each a mapping of data.sites[] keys"),
            new ConfigKey("data", "synthetic", "{}", "the built-in synthetic federation instead of sites (used when no sites are given)"),
            new ConfigKey("data.synthetic", "sites", 4, "number of synthetic sites"),
            new ConfigKey("data.synthetic", "samples", 40, "images per site"),
            new ConfigKey("data.synthetic", "size", DEFAULT_IMAGE_SIZE, "image size in pixels (square)"),
            new ConfigKey("data.synthetic", "seed", "the top-level seed", "seed of the generated images"),
            new ConfigKey("data.split", "train", 0.7, "fraction of patients for training"),
            new ConfigKey("data.split", "val", 0.1, "fraction of patients for validation (model selection)"),
            new ConfigKey("data.split", "test", 0.2, "fraction of patients for testing"),
            new ConfigKey("data.preprocess", "center_crop", "none", "none, square, a size or [height, width]: centre crop before resizing"),
            new ConfigKey("data.preprocess", "intensity", "scale", "scale (by bit depth), minmax or percentile (per image) to [0, 1]"),
            new ConfigKey("data.preprocess", "percentiles", "[0.5, 99.5]", "[low, high] for intensity: percentile"),
            new ConfigKey("data.preprocess", "interpolation", "bilinear", "bilinear (antialiased) or nearest; masks are always resized nearest"),
            new ConfigKey("data.augment", "hflip", 0.5, "probability of a horizontal flip (true = 0.5)"),
            new ConfigKey("data.augment", "vflip", 0.5, "probability of a vertical flip (true = 0.5)"),
            new ConfigKey("data.augment", "rot90", 0.5, "probability of a quarter turn (true = 0.5)"),
            new ConfigKey("data.sites[]", "name", "required", "unique site name: letters, digits, '.', '_' and '-'"),
            new ConfigKey("data.sites[]", "folder", "the name", "site folder, relative to data.root (else to the configuration file)"),
            new ConfigKey("data.sites[]", "images", "required", "glob of the images, relative to the source folder, e.g. images/*.png"),
            new ConfigKey("data.sites[]", "mask", "required", "mask path template: {stem} {name} {ext} and the named groups of match"),
            new ConfigKey("data.sites[]", "fov", "none", "optional field-of-view mask template"),
            new ConfigKey("data.sites[]", "match", "none", "optional regular expression searched in the image file name; its named groups feed the templates"),
            new ConfigKey("data.sites[]", "patient", "each image its own patient", "patient id template; images of a patient stay in one split"),
            new ConfigKey("data.sites[]", "split", "none", "official split (train, val or test) of every image here"),
            new ConfigKey("data.sites[]", "label", "{threshold: 128}", "how stored mask values become labels (keys under data.sites[].label)"),
            new ConfigKey("data.sites[]", "nifti", "{axis: z}", "how .nii / .nii.gz volumes become 2-D slices (keys under data.sites[].nifti)"),
            new ConfigKey("data.sites[]", "sources", "one: the site itself", "several folders, each a mapping of data.sites[].sources[] keys inheriting the site's"),
            new ConfigKey("data.sites[].label", "threshold", 128, "a stored value >= threshold is foreground"),
            new ConfigKey("data.sites[].label", "invert", false, "swap foreground and background"),
            new ConfigKey("data.sites[].label", "values", "none", "strict mapping of stored values to classes, e.g. {0: background, 255: vessel}"),
            new ConfigKey("data.sites[].label", "foreground", "none", "the classes of values that are foreground"),
            new ConfigKey("data.sites[].nifti", "axis", "z", "slicing axis: 0/x/sagittal, 1/y/coronal or 2/z/axial"),
            new ConfigKey("data.sites[].nifti", "clip", "[0.5, 99.5]", "[low, high] intensity percentiles of the volume"),
            new ConfigKey("data.sites[].nifti", "slices", "all", "all, or foreground (only slices with a labelled pixel)"),
            new ConfigKey("data.sites[].sources[]", "folder", ".", "folder of this source, relative to the site folder"),
            new ConfigKey("data.sites[].sources[]", "split", "the site's", "official split of this source"),
            new ConfigKey("data.sites[].sources[]", "images", "the site's", "glob of the images"),
            new ConfigKey("data.sites[].sources[]", "mask", "the site's", "mask path template"),
            new ConfigKey("data.sites[].sources[]", "fov", "the site's", "field-of-view mask template"),
            new ConfigKey("data.sites[].sources[]", "match", "the site's", "regular expression on the file name"),
            new ConfigKey("data.sites[].sources[]", "patient", "the site's", "patient id template"));

    /** Top-level keys this package reads; the other sections are read above it (found through {@link TopLevel}). */
    private static final Set<String> OWN_SECTIONS = with(keysOf(""), "data");
    /** Top-level keys accepted; keys starting with {@code x-} are free. */
    public static final Set<String> SECTIONS = sections();
    static final Set<String> DATA_KEYS = keysOf("data");
    static final Set<String> SITE_KEYS = keysOf("data.sites[]");
    static final Set<String> SOURCE_KEYS = keysOf("data.sites[].sources[]");
    static final Set<String> LABEL_KEYS = keysOf("data.sites[].label");
    static final Set<String> NIFTI_KEYS = keysOf("data.sites[].nifti");
    static final Set<String> PREPROCESS_KEYS = keysOf("data.preprocess");
    static final Set<String> AUGMENT_KEYS = keysOf("data.augment");
    static final Set<String> SPLIT_KEYS = keysOf("data.split");
    static final Set<String> SYNTHETIC_KEYS = keysOf("data.synthetic");
    private static final Pattern SITE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    /** The declared default of {@code section.key} in {@link #KEYS}: the parser reads its defaults from there. */
    static Object declared(String section, String key) {
        for (ConfigKey k : KEYS) {
            if (k.section().equals(section) && k.name().equals(key)) {
                return k.defaultValue();
            }
        }
        throw new IllegalStateException("no declared key " + section + "." + key);
    }

    private static long declaredInt(String section, String key) {
        return ((Number) declared(section, key)).longValue();
    }

    private static double declaredNumber(String section, String key) {
        return ((Number) declared(section, key)).doubleValue();
    }
    private static final String IMAGE_SIZE_FORM = "a number or a list [height, width]";

    private final String source;
    private final Path baseDir;
    private final Map<String, Object> raw;
    private final long seed;
    private final Path dataRoot;
    private final Preprocessing preprocessing;
    private final Augmentation augmentation;
    private final SplitRatios splitRatios;
    private final List<SiteConfig> sites;
    private final SyntheticConfig synthetic;
    private final Path manifest;

    private FederationConfig(String source, Path baseDir, Map<String, Object> raw, long seed, Path dataRoot,
                             Preprocessing preprocessing, Augmentation augmentation, SplitRatios splitRatios,
                             List<SiteConfig> sites, SyntheticConfig synthetic, Path manifest) {
        this.source = source;
        this.baseDir = baseDir;
        this.raw = raw;
        this.seed = seed;
        this.dataRoot = dataRoot;
        this.preprocessing = preprocessing;
        this.augmentation = augmentation;
        this.splitRatios = splitRatios;
        this.sites = List.copyOf(sites);
        this.synthetic = synthetic;
        this.manifest = manifest;
    }

    // ------------------------------------------------------------------ loading

    /** Reads a YAML file; relative paths in it are relative to the file's folder. */
    public static FederationConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "config.readable", "cannot read configuration: " + e);
        }
        Path dir = file.toAbsolutePath().normalize().getParent();
        return parse(text, dir, file.toString());
    }

    /**
     * Parses YAML text.
     *
     * @param baseDir    folder that relative paths are resolved against
     * @param sourceName names the configuration in error messages (usually its file path)
     */
    public static FederationConfig parse(String yaml, Path baseDir, String sourceName) {
        LoaderOptions lo = new LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setMaxAliasesForCollections(50);
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(lo)).load(yaml);
        } catch (YAMLException e) {
            throw new ConfigException(sourceName, "config.yaml", "not valid YAML: " + e.getMessage().replace('\n', ' '),
                    e);
        }
        if (doc == null) {
            doc = new LinkedHashMap<String, Object>();
        }
        if (!(doc instanceof Map)) {
            throw new ConfigException(sourceName, "config.yaml", "the configuration must be a mapping of sections"
                    + " (seed:, data:, federation:, …), got " + ConfigNode.describe(doc));
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> top = (Map<Object, Object>) doc;
        Map<String, Object> rawMap = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : top.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (!SECTIONS.contains(k) && !k.startsWith("x-")) {
                throw ConfigNode.unknownKey(sourceName, "", k, SECTIONS);
            }
            rawMap.put(k, e.getValue());
        }
        return build(sourceName, baseDir.toAbsolutePath().normalize(), Collections.unmodifiableMap(rawMap));
    }

    /** The built-in synthetic federation, configured in code. */
    public static FederationConfig synthetic(int sites, int samplesPerSite, int size, long seed) {
        Map<String, Object> synth = new LinkedHashMap<>();
        synth.put("sites", sites);
        synth.put("samples", samplesPerSite);
        synth.put("size", size);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("synthetic", synth);
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("seed", seed);
        top.put("data", data);
        return build("<built-in synthetic>", Path.of("").toAbsolutePath(), Collections.unmodifiableMap(top));
    }

    /** The embedded default: 4 synthetic sites of 40 images at 128×128, seed 0. */
    public static FederationConfig defaults() {
        return synthetic((int) declaredInt("data.synthetic", "sites"), (int) declaredInt("data.synthetic", "samples"), DEFAULT_IMAGE_SIZE, 0);
    }

    private static FederationConfig build(String file, Path baseDir, Map<String, Object> raw) {
        ConfigNode top = new ConfigNode(file, "", raw);
        long seed = top.integer("seed", 0);
        ConfigNode data = top.node("data");
        data.allowOnly(DATA_KEYS);

        // synthetic or sites
        SyntheticConfig synthetic = null;
        Integer syntheticSize = null;
        if (data.has("synthetic") && data.has("sites")) {
            throw data.error("synthetic", "'data' has both 'sites' and 'synthetic': choose one");
        }
        if (data.has("synthetic") || !data.has("sites")) {
            ConfigNode s = data.node("synthetic");
            s.allowOnly(SYNTHETIC_KEYS);
            long n = s.integer("sites", declaredInt("data.synthetic", "sites"));
            long m = s.integer("samples", declaredInt("data.synthetic", "samples"));
            if (n < 1 || m < 1) {
                throw s.error("sites", "synthetic 'sites' and 'samples' must be at least 1");
            }
            if (s.has("size")) {
                syntheticSize = (int) positive(s, "size", s.integer("size", DEFAULT_IMAGE_SIZE));
            }
            synthetic = new SyntheticConfig((int) n, (int) m, s.has("seed") ? s.integer("seed", 0) : null);
        }

        // image size
        int h = syntheticSize != null ? syntheticSize : DEFAULT_IMAGE_SIZE;
        int w = h;
        Object size = data.get("image_size");
        if (size != null) {
            List<Double> hw = data.numbers("image_size", IMAGE_SIZE_FORM);
            if (hw.size() == 1) {
                h = w = (int) positive(data, "image_size", hw.get(0));
            } else if (hw.size() == 2) {
                h = (int) positive(data, "image_size", hw.get(0));
                w = (int) positive(data, "image_size", hw.get(1));
            } else {
                throw data.error("image_size", "'data.image_size' must be " + IMAGE_SIZE_FORM + ", got a list of " + hw.size());
            }
        }
        long channels = data.integer("channels", declaredInt("data", "channels"));
        if (channels != 1 && channels != 3) {
            throw data.error("channels", "'data.channels' must be 1 or 3, got " + channels);
        }
        Preprocessing pre = parsePreprocessing(data.node("preprocess"), h, w, (int) channels);
        Augmentation aug = parseAugmentation(data);
        SplitRatios ratios = parseSplit(data.node("split"));

        Path root = null;
        if (data.has("root")) {
            root = baseDir.resolve(data.string("root", ".")).normalize();
        }
        Path manifest = null;
        if (data.has("manifest")) {
            manifest = baseDir.resolve(data.string("manifest", "")).normalize();
        }

        List<SiteConfig> sites = new ArrayList<>();
        if (synthetic == null) {
            ConfigNode defaults = data.node("defaults");
            Set<String> defaultKeys = new HashSet<>(SITE_KEYS);
            defaultKeys.remove("name");
            defaults.allowOnly(defaultKeys);
            // the nested mappings of the defaults are checked where they are written, even where every site replaces them
            defaults.node("label").allowOnly(LABEL_KEYS);
            defaults.node("nifti").allowOnly(NIFTI_KEYS);
            List<Object> defaultSources = defaults.list("sources");
            for (int i = 0; i < defaultSources.size(); i++) {
                if (defaultSources.get(i) instanceof Map<?, ?> m) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> sm = (Map<String, Object>) m;
                    new ConfigNode(file, defaults.keyPath("sources") + "[" + i + "]", sm).allowOnly(SOURCE_KEYS);
                }
            }
            List<Object> list = data.list("sites");
            if (list.isEmpty()) {
                throw data.error("sites", "'data.sites' lists no site");
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                String p = "data.sites[" + i + "]";
                Object o = list.get(i);
                if (!(o instanceof Map)) {
                    throw new ConfigException(file, "config.value of " + p, "'" + p
                            + "' must be a mapping (name:, folder:, images:, mask:, …), got " + ConfigNode.describe(o));
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> siteMap = new LinkedHashMap<>((Map<String, Object>) o);
                ConfigNode own = new ConfigNode(file, p, siteMap);
                own.allowOnly(SITE_KEYS);
                SiteConfig sc = parseSite(ConfigNode.merged(own, defaults));
                if (!names.add(sc.name().toLowerCase(Locale.ROOT))) {
                    throw new ConfigException(file, "config.unique-site-names", "two sites are named '" + sc.name()
                            + "' (" + p + " repeats an earlier name; names are compared ignoring case)");
                }
                sites.add(sc);
            }
        }
        return new FederationConfig(file, baseDir, raw, seed, root, pre, aug, ratios, sites, synthetic, manifest);
    }

    private static double positive(ConfigNode n, String key, double v) {
        if (!(v >= 1) || v != Math.rint(v)) {
            throw n.error(key, "'" + n.keyPath(key) + "' must be a positive whole number, got " + v);
        }
        return v;
    }

    private static Preprocessing parsePreprocessing(ConfigNode n, int h, int w, int channels) {
        n.allowOnly(PREPROCESS_KEYS);
        Preprocessing.Crop crop = Preprocessing.Crop.NONE;
        int cropH = 0;
        int cropW = 0;
        Object c = n.get("center_crop");
        if (c instanceof String) {
            String s = ((String) c).toLowerCase(Locale.ROOT);
            if (s.equals("square")) {
                crop = Preprocessing.Crop.SQUARE;
            } else if (!s.equals("none")) {
                throw n.error("center_crop", "'" + n.keyPath("center_crop") + "' must be none, square, a size or"
                        + " [height, width], got '" + c + "'");
            }
        } else if (c instanceof Boolean) {
            crop = (Boolean) c ? Preprocessing.Crop.SQUARE : Preprocessing.Crop.NONE;
        } else if (c != null) {
            List<Double> hw = n.numbers("center_crop", "none, square, a number or a list [height, width]");
            if (hw.size() < 1 || hw.size() > 2) {
                throw n.error("center_crop", "'" + n.keyPath("center_crop") + "' must be a size or [height, width]");
            }
            crop = Preprocessing.Crop.SIZE;
            cropH = (int) positive(n, "center_crop", hw.get(0));
            cropW = (int) positive(n, "center_crop", hw.get(hw.size() - 1));
        }
        Preprocessing.Intensity intensity;
        String it = n.string("intensity", (String) declared("data.preprocess", "intensity")).toLowerCase(Locale.ROOT);
        switch (it) {
            case "scale": intensity = Preprocessing.Intensity.SCALE; break;
            case "minmax": intensity = Preprocessing.Intensity.MINMAX; break;
            case "percentile": intensity = Preprocessing.Intensity.PERCENTILE; break;
            default:
                throw n.error("intensity", "'" + n.keyPath("intensity") + "' must be scale, minmax or percentile, got '"
                        + it + "'" + suggestion(it, List.of("scale", "minmax", "percentile")));
        }
        double lo = 0.5;
        double hi = 99.5;
        if (n.has("percentiles")) {
            List<Double> p = n.numbers("percentiles", "a list [low, high]");
            if (p.size() != 2 || !(p.get(0) >= 0 && p.get(0) < p.get(1) && p.get(1) <= 100)) {
                throw n.error("percentiles", "'" + n.keyPath("percentiles") + "' must be [low, high] with"
                        + " 0 <= low < high <= 100");
            }
            lo = p.get(0);
            hi = p.get(1);
        }
        String ip = n.string("interpolation", (String) declared("data.preprocess", "interpolation")).toLowerCase(Locale.ROOT);
        Preprocessing.Interpolation interp;
        if (ip.equals("bilinear")) {
            interp = Preprocessing.Interpolation.BILINEAR;
        } else if (ip.equals("nearest")) {
            interp = Preprocessing.Interpolation.NEAREST;
        } else {
            throw n.error("interpolation", "'" + n.keyPath("interpolation") + "' must be bilinear or nearest, got '"
                    + ip + "'" + suggestion(ip, List.of("bilinear", "nearest")));
        }
        return new Preprocessing(h, w, channels, crop, cropH, cropW, intensity, lo, hi, interp);
    }

    private static String suggestion(String value, List<String> allowed) {
        String near = Suggest.nearest(value, allowed);
        return near == null ? "" : " — did you mean '" + near + "'?";
    }

    private static Augmentation parseAugmentation(ConfigNode data) {
        Object a = data.get("augment");
        if (a == null || Boolean.TRUE.equals(a)) {
            return Augmentation.STANDARD;
        }
        if (Boolean.FALSE.equals(a) || "none".equals(a)) {
            return Augmentation.NONE;
        }
        ConfigNode n = data.node("augment");
        n.allowOnly(AUGMENT_KEYS);
        double[] p = new double[3];
        String[] keys = {"hflip", "vflip", "rot90"};
        for (int i = 0; i < 3; i++) {
            Object v = n.get(keys[i]);
            if (v instanceof Boolean) {
                p[i] = (Boolean) v ? 0.5 : 0.0;
            } else {
                p[i] = n.number(keys[i], declaredNumber("data.augment", keys[i]));
            }
            if (!(p[i] >= 0 && p[i] <= 1)) {
                throw n.error(keys[i], "'" + n.keyPath(keys[i]) + "' is a probability and must be in [0, 1], got " + p[i]);
            }
        }
        return new Augmentation(p[0], p[1], p[2]);
    }

    private static SplitRatios parseSplit(ConfigNode n) {
        n.allowOnly(SPLIT_KEYS);
        if (n.map.isEmpty()) {
            return SplitRatios.DEFAULT;
        }
        double tr = n.number("train", declaredNumber("data.split", "train"));
        double va = n.number("val", declaredNumber("data.split", "val"));
        double te = n.number("test", declaredNumber("data.split", "test"));
        try {
            return new SplitRatios(tr, va, te);
        } catch (IllegalArgumentException e) {
            throw n.error("train", "'data.split': " + e.getMessage());
        }
    }

    private static SiteConfig parseSite(ConfigNode n) {
        String name = n.string("name", null);
        if (name == null || name.isBlank()) {
            throw n.error("name", "'" + n.path + "' needs a 'name'");
        }
        if (!SITE_NAME.matcher(name).matches()) {
            throw n.error("name", "site name '" + name + "' may use only letters, digits, '.', '_' and '-'");
        }
        String where = n.path + " (site '" + name + "')";
        String folder = n.string("folder", name);
        LabelRule label = parseLabel(n.node("label"), where(n, "label", where, name));
        NiftiOptions nifti = parseNifti(n.node("nifti"));
        List<SourceConfig> sources = new ArrayList<>();
        List<Object> srcList = n.list("sources");
        if (srcList.isEmpty()) {
            if (n.has("sources")) {
                throw n.error("sources", "'" + n.keyPath("sources") + "' is empty");
            }
            sources.add(parseSource(n, n, where, name));
        } else {
            for (int i = 0; i < srcList.size(); i++) {
                Object o = srcList.get(i);
                String p = n.keyPath("sources") + "[" + i + "]";
                if (!(o instanceof Map)) {
                    throw new ConfigException(n.file, "config.value of " + p, "'" + p + "' must be a mapping, got "
                            + ConfigNode.describe(o));
                }
                @SuppressWarnings("unchecked")
                ConfigNode s = new ConfigNode(n.file, p, (Map<String, Object>) o);
                s.allowOnly(SOURCE_KEYS);
                sources.add(parseSource(s, n, where + " " + p, name));
            }
        }
        return new SiteConfig(name, folder, sources, label, nifti);
    }

    /** How a message names the place of {@code key}: the site, or data.defaults when the site inherited the key from there. */
    private static String where(ConfigNode n, String key, String site, String name) {
        String from = n.inheritedFrom(key);
        return from == null ? site : from + " (for site '" + name + "')";
    }

    private static SourceConfig parseSource(ConfigNode s, ConfigNode site, String where, String name) {
        // an error names the key where it is written: this source, its site, or the data.defaults the site inherits
        java.util.function.BiFunction<String, String, ConfigException> err = (key, problem) -> {
            ConfigNode at = s.has(key) || s == site ? s : site;
            String from = at.inheritedFrom(key);
            return at.error(key, (from == null ? where : from + " (for site '" + name + "')") + problem);
        };
        String folder = s == site ? "." : s.string("folder", ".");
        String images = inherit(s, site, "images");
        String mask = inherit(s, site, "mask");
        String fov = inherit(s, site, "fov");
        String match = inherit(s, site, "match");
        String patient = inherit(s, site, "patient");
        String splitText = inherit(s, site, "split");
        if (images == null) {
            throw err.apply("images", " needs 'images' (a glob such as images/*.png)");
        }
        if (mask == null) {
            throw err.apply("mask", " needs 'mask' (a path template such as masks/{stem}.png)");
        }
        Split split = null;
        if (splitText != null) {
            split = Split.parse(splitText);
            if (split == null) {
                throw err.apply("split", ": 'split' must be train, val or test, got '" + splitText + "'");
            }
        }
        Pattern pattern = null;
        if (match != null) {
            try {
                pattern = Pattern.compile(match);
            } catch (PatternSyntaxException e) {
                throw err.apply("match", ": 'match' is not a valid regular expression: "
                        + e.getDescription() + " in '" + match + "'");
            }
        }
        Set<String> available = NameTemplate.available(pattern);
        for (String[] t : new String[][] {{"mask", mask}, {"fov", fov}, {"patient", patient}}) {
            if (t[1] == null) {
                continue;
            }
            for (String v : NameTemplate.variables(t[1])) {
                if (!available.contains(v)) {
                    String near = Suggest.nearest(v, available);
                    throw err.apply(t[0], ": '" + t[0] + "' uses {" + v + "}, which is not defined"
                            + (near != null ? " — did you mean {" + near + "}?" : "") + " (defined: "
                            + String.join(", ", new LinkedHashSet<>(available)) + "; named groups come from 'match')");
                }
            }
        }
        return new SourceConfig(folder, split, images, mask, fov, match, patient);
    }

    private static String inherit(ConfigNode s, ConfigNode site, String key) {
        String v = s.string(key, null);
        return v != null ? v : (s == site ? null : site.string(key, null));
    }

    private static LabelRule parseLabel(ConfigNode n, String where) {
        n.allowOnly(LABEL_KEYS);
        boolean invert = n.bool("invert", (Boolean) declared("data.sites[].label", "invert"));
        if (!n.has("values")) {
            if (n.has("foreground")) {
                throw n.error("foreground", where + ": 'label.foreground' needs 'label.values'");
            }
            long t = n.integer("threshold", declaredInt("data.sites[].label", "threshold"));
            return LabelRule.threshold((int) t, invert);
        }
        if (n.has("threshold")) {
            throw n.error("threshold", where + ": use either 'label.threshold' or 'label.values', not both");
        }
        ConfigNode vn;
        Map<Integer, String> values = new LinkedHashMap<>();
        Object vo = n.get("values");
        if (!(vo instanceof Map)) {
            throw n.error("values", where + ": 'label.values' must map stored values to classes, e.g. {0: background,"
                    + " 255: vessel}");
        }
        for (Map.Entry<?, ?> e : ((Map<?, ?>) vo).entrySet()) {
            int key;
            try {
                key = Integer.parseInt(String.valueOf(e.getKey()).trim());
            } catch (NumberFormatException ex) {
                throw n.error("values", where + ": 'label.values' key '" + e.getKey() + "' is not a whole number");
            }
            values.put(key, String.valueOf(e.getValue()));
        }
        List<String> fg = null;
        if (n.has("foreground")) {
            fg = new ArrayList<>();
            Object f = n.get("foreground");
            if (f instanceof List) {
                for (Object o : (List<?>) f) {
                    fg.add(String.valueOf(o));
                }
            } else {
                fg.add(String.valueOf(f));
            }
        }
        try {
            return LabelRule.mapping(values, fg, invert);
        } catch (IllegalArgumentException e) {
            throw n.error("values", where + ": " + e.getMessage());
        }
    }

    private static NiftiOptions parseNifti(ConfigNode n) {
        n.allowOnly(NIFTI_KEYS);
        int axis = 2;
        Object a = n.get("axis");
        if (a instanceof String) {
            String s = ((String) a).toLowerCase(Locale.ROOT);
            axis = s.equals("x") || s.equals("sagittal") ? 0 : s.equals("y") || s.equals("coronal") ? 1
                    : s.equals("z") || s.equals("axial") ? 2 : -1;
        } else if (a != null) {
            axis = (int) n.integer("axis", 2);
        }
        if (axis < 0 || axis > 2) {
            throw n.error("axis", "'" + n.keyPath("axis") + "' must be 0/x/sagittal, 1/y/coronal or 2/z/axial, got " + a);
        }
        double lo = 0.5;
        double hi = 99.5;
        if (n.has("clip")) {
            List<Double> p = n.numbers("clip", "a list [low, high] of percentiles");
            if (p.size() != 2 || !(p.get(0) >= 0 && p.get(0) < p.get(1) && p.get(1) <= 100)) {
                throw n.error("clip", "'" + n.keyPath("clip") + "' must be [low, high] percentiles, 0 <= low < high <= 100");
            }
            lo = p.get(0);
            hi = p.get(1);
        }
        String slices = n.string("slices", "all").toLowerCase(Locale.ROOT);
        if (!slices.equals("all") && !slices.equals("foreground")) {
            throw n.error("slices", "'" + n.keyPath("slices") + "' must be all or foreground, got '" + slices + "'");
        }
        return new NiftiOptions(axis, lo, hi, slices.equals("foreground"));
    }

    // ------------------------------------------------------------------ documentation

    /** The keys this class reads, with default and meaning, for {@code resfim config explain} ({@link #KEYS}). */
    public static List<ConfigKey> documentedKeys() {
        return KEYS;
    }

    /** The names of the declared keys of {@code section}. */
    static Set<String> keysOf(String section) {
        Set<String> out = new java.util.LinkedHashSet<>();
        KEYS.stream().filter(k -> k.section().equals(section)).forEach(k -> out.add(k.name()));
        return Collections.unmodifiableSet(out);
    }

    private static Set<String> with(Set<String> keys, String section) {
        Set<String> out = new java.util.LinkedHashSet<>(keys);
        out.add(section);
        return Collections.unmodifiableSet(out);
    }

    /** The top-level sections the packages above this one read (settings, privacy, the registered algorithms' own). */
    public static List<String> otherSections() {
        return SECTIONS.stream().filter(k -> !OWN_SECTIONS.contains(k)).toList();
    }

    /** This package's top-level keys and the sections the packages above it read. */
    private static Set<String> sections() {
        Set<String> out = new java.util.LinkedHashSet<>(OWN_SECTIONS);
        int providers = 0;
        for (TopLevel t : java.util.ServiceLoader.load(TopLevel.class, FederationConfig.class.getClassLoader())) {
            out.addAll(t.sections());
            providers++;
        }
        if (providers == 0) { // else every federation: or method: section would be refused as unknown, confusingly
            throw new IllegalStateException("no configuration sections are registered: META-INF/services/" + TopLevel.class.getName()
                    + " is missing from the class path (a repackaged jar that dropped it?)");
        }
        return Collections.unmodifiableSet(out);
    }

    // ------------------------------------------------------------------ copies with overrides

    public FederationConfig withSeed(long newSeed) {
        return new FederationConfig(source, baseDir, raw, newSeed, dataRoot, preprocessing, augmentation, splitRatios,
                sites, synthetic, manifest);
    }

    public FederationConfig withImageSize(int size) {
        return withImageSize(size, size);
    }

    public FederationConfig withImageSize(int height, int width) {
        return new FederationConfig(source, baseDir, raw, seed, dataRoot, preprocessing.withSize(height, width),
                augmentation, splitRatios, sites, synthetic, manifest);
    }

    /** Replaces {@code data.root} (the {@code --data-root} option); a relative path is taken from the working folder. */
    public FederationConfig withDataRoot(Path root) {
        return new FederationConfig(source, baseDir, raw, seed, root == null ? null : root.toAbsolutePath().normalize(),
                preprocessing, augmentation, splitRatios, sites, synthetic, manifest);
    }

    /** Loads splits from this manifest file instead of drawing them (null: draw). */
    public FederationConfig withManifest(Path manifestFile) {
        return new FederationConfig(source, baseDir, raw, seed, dataRoot, preprocessing, augmentation, splitRatios,
                sites, synthetic, manifestFile == null ? null : manifestFile.toAbsolutePath().normalize());
    }

    public FederationConfig withPreprocessing(Preprocessing p) {
        return new FederationConfig(source, baseDir, raw, seed, dataRoot, p, augmentation, splitRatios, sites,
                synthetic, manifest);
    }

    public FederationConfig withSplitRatios(SplitRatios r) {
        return new FederationConfig(source, baseDir, raw, seed, dataRoot, preprocessing, augmentation, r, sites,
                synthetic, manifest);
    }

    // ------------------------------------------------------------------ accessors

    /** The configuration file (or a description of where the configuration came from). */
    public String source() {
        return source;
    }

    /** Folder that relative paths in the configuration are resolved against. */
    public Path baseDir() {
        return baseDir;
    }

    public long seed() {
        return seed;
    }

    /** {@code data.root} resolved (or as overridden), or null when the config has none. */
    public Path dataRoot() {
        return dataRoot;
    }

    /** Absolute folder of a site: its {@code folder} taken from the data root, else from the config's folder. */
    public Path siteFolder(SiteConfig site) {
        Path f = Path.of(site.folder());
        if (f.isAbsolute()) {
            return f.normalize();
        }
        return (dataRoot != null ? dataRoot : baseDir).resolve(f).normalize();
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public int imageHeight() {
        return preprocessing.height();
    }

    public int imageWidth() {
        return preprocessing.width();
    }

    public int channels() {
        return preprocessing.channels();
    }

    public Augmentation augmentation() {
        return augmentation;
    }

    public SplitRatios splitRatios() {
        return splitRatios;
    }

    /** Declared sites (empty for the synthetic federation). */
    public List<SiteConfig> sites() {
        return sites;
    }

    /** The synthetic federation's settings, or null when sites are declared. */
    public SyntheticConfig synthetic() {
        return synthetic;
    }

    public boolean isSynthetic() {
        return synthetic != null;
    }

    /** Manifest file to reproduce splits from, or null. */
    public Path manifest() {
        return manifest;
    }

    /** The whole document as parsed (read-only). */
    public Map<String, Object> raw() {
        return raw;
    }

    /** A top-level section as a read-only map; empty if absent. Not checked here: its owner interprets it. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> section(String name) {
        Object v = raw.get(name);
        if (v instanceof Map) {
            return Collections.unmodifiableMap((Map<String, Object>) v);
        }
        if (v != null) {
            throw new ConfigException(source, "config.value of " + name, "'" + name + "' must be a mapping, got "
                    + ConfigNode.describe(v));
        }
        return Map.of();
    }

    public Map<String, Object> federation() {
        return section("federation");
    }

    public Map<String, Object> method() {
        return section("method");
    }

    public Map<String, Object> training() {
        return section("training");
    }

    public Map<String, Object> evaluation() {
        return section("evaluation");
    }

    /**
     * The configuration as YAML with this object's overrides written in (seed, data.root as an absolute path,
     * data.image_size, data.manifest), to save with a run.
     */
    @SuppressWarnings("unchecked")
    public String toYaml() {
        Map<String, Object> top = deepCopy(raw);
        top.put("seed", seed);
        Map<String, Object> data = top.get("data") instanceof Map ? (Map<String, Object>) top.get("data")
                : new LinkedHashMap<>();
        top.put("data", data);
        if (dataRoot != null) {
            data.put("root", dataRoot.toString());
        }
        if (synthetic == null) {
            // site folders relative to the config's folder must stay valid wherever the YAML is written
            if (dataRoot == null) {
                data.put("root", baseDir.toString());
            }
        }
        data.put("image_size", preprocessing.height() == preprocessing.width() ? (Object) preprocessing.height()
                : List.of(preprocessing.height(), preprocessing.width()));
        if (manifest != null) {
            data.put("manifest", manifest.toString());
        }
        DumperOptions opts = new DumperOptions();
        opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        opts.setIndent(2);
        opts.setPrettyFlow(true);
        return new Yaml(new Representer(opts), opts).dump(top);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            out.put(e.getKey(), deepCopyValue(e.getValue()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Object deepCopyValue(Object v) {
        if (v instanceof Map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<Object, Object> e : ((Map<Object, Object>) v).entrySet()) {
                out.put(e.getKey(), deepCopyValue(e.getValue()));
            }
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<Object>) v) {
                out.add(deepCopyValue(o));
            }
            return out;
        }
        return v;
    }

    @Override
    public String toString() {
        return "FederationConfig[" + source + ", seed=" + seed + ", " + (synthetic != null ? "synthetic " + synthetic
                : sites.size() + " sites") + ", " + preprocessing.signature() + "]";
    }
}
