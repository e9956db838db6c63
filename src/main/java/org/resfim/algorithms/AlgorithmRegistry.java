package org.resfim.algorithms;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Suggest;
import org.resfim.config.TopLevelSection;
import org.resfim.federation.Algorithm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** Algorithms by name. Adding one = one file plus one line here. */
public final class AlgorithmRegistry {
    private record Entry(BiFunction<String, Map<String, Object>, Algorithm> factory, List<ConfigKey> keys, List<TopLevelSection> sections,
                         String summary) {
    }

    private static final Map<String, Entry> ALGORITHMS = new LinkedHashMap<>();

    static {
        register(Local.NAME, Local::new, Local.KEYS, "no federation: every site trains alone");
        register(FedAvg.NAME, FedAvg::new, FedAvg.KEYS, "average everything");
        register(FedProx.NAME, FedProx::new, FedProx.KEYS, "FedAvg + proximal term");
        register(FedBN.NAME, FedBN::new, FedBN.KEYS, "BatchNorm local");
        register(SioBN.NAME, SioBN::new, SioBN.KEYS, "BatchNorm statistics local, affine shared");
        register(FedPer.NAME, FedPer::new, FedPer.KEYS, "head local");
        register(LgFedAvg.NAME, LgFedAvg::new, LgFedAvg.KEYS, "encoder local");
        register(FedRep.NAME, FedRep::new, FedRep.KEYS, "head local, head then body training");
        register(Ditto.NAME, Ditto::new, Ditto.KEYS, "personal model pulled toward the FedAvg model (proximal lambda)");
        register(Apfl.NAME, Apfl::new, Apfl.KEYS, "learned mixture alpha*personal + (1-alpha)*global");
        register(FedAla.NAME, FedAla::new, FedAla.KEYS, "adaptive element-wise local aggregation on the top layers");
        register(PflResFim.NAME, PflResFim::new, PflResFim.KEYS, PflResFim.SECTIONS, "residual Fisher information, element-wise personal/shared partition");
    }

    private AlgorithmRegistry() {
    }

    static void register(String name, BiFunction<String, Map<String, Object>, Algorithm> factory, List<ConfigKey> keys, String summary) {
        register(name, factory, keys, List.of(), summary);
    }

    /**
     * An algorithm with its parameters ({@code keys}) and the top-level sections of the configuration file it owns
     * ({@code sections}): the file accepts those sections only because an algorithm registered them.
     */
    static void register(String name, BiFunction<String, Map<String, Object>, Algorithm> factory, List<ConfigKey> keys,
                         List<TopLevelSection> sections, String summary) {
        ALGORITHMS.put(name, new Entry(factory, keys, List.copyOf(sections), summary));
    }

    /** The top-level sections of an algorithm (empty for one that owns none, or an unknown name). */
    public static List<TopLevelSection> sections(String name) {
        Entry e = ALGORITHMS.get(name);
        return e == null ? List.of() : e.sections();
    }

    /** Every registered algorithm's own top-level sections, in registration order. */
    public static List<TopLevelSection> topLevelSections() {
        List<TopLevelSection> all = new ArrayList<>();
        ALGORITHMS.values().forEach(e -> all.addAll(e.sections()));
        return all;
    }

    public static List<String> names() {
        return new ArrayList<>(ALGORITHMS.keySet());
    }

    public static String summary(String name) {
        return ALGORITHMS.get(name).summary();
    }

    /** Every algorithm's documented keys (for {@code config explain}). */
    public static List<ConfigKey> keys() {
        List<ConfigKey> all = new ArrayList<>();
        ALGORITHMS.values().forEach(e -> all.addAll(e.keys()));
        return all;
    }

    /** The documented keys of one algorithm and their defaults, in declaration order (empty for an unknown name). */
    public static Map<String, Object> defaults(String name) {
        Map<String, Object> out = new LinkedHashMap<>();
        Entry e = ALGORITHMS.get(name);
        if (e != null) {
            e.keys().forEach(k -> out.put(k.name(), k.defaultValue()));
        }
        return out;
    }

    /** Builds the algorithm a spec names; an unknown name suggests the nearest registered one. */
    public static Algorithm create(AlgorithmSpec spec) {
        Entry e = ALGORITHMS.get(spec.name());
        if (e == null) {
            String near = Suggest.nearest(spec.name(), names());
            throw new ConfigException("unknown method '" + spec.name() + "'" + (near == null ? "" : " (did you mean '" + near + "'?)")
                    + "; known: " + String.join(", ", names()));
        }
        return e.factory().apply(spec.text(), spec.params());
    }

    public static Algorithm create(String spec) {
        return create(AlgorithmSpec.parse(spec));
    }
}
