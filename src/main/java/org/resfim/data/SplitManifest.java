package org.resfim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import org.resfim.state.Jackson;

/**
 * Which file of a site went to which split, with SHA-256 content hashes, written with a run (JSON) so that a
 * later run reproduces the exact split and notices a changed file.
 *
 * @param site     the site's name
 * @param root     the site folder when written (informative: entries are relative to the site folder, so a
 *                 manifest stays valid when the data moves)
 * @param seed     the seed that drew the split
 * @param ratios   the ratios it was drawn with
 * @param entries  one per file set (image, mask, fov), in id order
 */
public record SplitManifest(String site, String root, long seed, SplitRatios ratios, List<Entry> entries) {
    public static final String FORMAT = "resfim-split-manifest/1";

    /**
     * One sample's files.
     *
     * @param id           the image path relative to the site folder (or a synthetic id)
     * @param patient      patient id
     * @param split        its split
     * @param image        image path relative to the site folder (or {@code synthetic:…})
     * @param imageSha256  hex SHA-256 of the image file (null for synthetic data)
     * @param mask         mask path relative to the site folder, or null
     * @param maskSha256   hex SHA-256 of the mask file, or null
     * @param fov          field-of-view path relative to the site folder, or null
     * @param fovSha256    hex SHA-256 of the fov file, or null
     * @param width        stored image width
     * @param height       stored image height
     * @param channels     stored image channels
     * @param samples      2-D samples made from it (1, or the slices kept from a volume)
     * @param maskValues   distinct stored mask values (at most 257 listed)
     */
    public record Entry(String id, String patient, Split split, String image, String imageSha256, String mask,
                        String maskSha256, String fov, String fovSha256, int width, int height, int channels,
                        int samples, List<Integer> maskValues) {
        public Entry {
            maskValues = maskValues == null ? List.of() : List.copyOf(maskValues);
        }
    }

    public SplitManifest {
        entries = List.copyOf(entries);
    }

    /** Split per id. */
    public Map<String, Split> assignment() {
        Map<String, Split> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            m.put(e.id(), e.split());
        }
        return m;
    }

    /** Number of entries (files, not slices) per split. */
    public Map<Split, Integer> counts() {
        Map<Split, Integer> m = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            m.put(s, 0);
        }
        for (Entry e : entries) {
            m.merge(e.split(), 1, Integer::sum);
        }
        return m;
    }

    public Entry entry(String id) {
        for (Entry e : entries) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("site", site);
        m.put("root", root);
        m.put("seed", seed);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("train", ratios.train());
        r.put("val", ratios.val());
        r.put("test", ratios.test());
        m.put("ratios", r);
        Map<Split, Integer> c = counts();
        Map<String, Object> cm = new LinkedHashMap<>();
        for (Split s : Split.values()) {
            cm.put(s.key(), c.get(s));
        }
        m.put("counts", cm);
        List<Object> es = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("id", e.id());
            em.put("patient", e.patient());
            em.put("split", e.split().key());
            em.put("image", e.image());
            em.put("image_sha256", e.imageSha256());
            em.put("mask", e.mask());
            em.put("mask_sha256", e.maskSha256());
            if (e.fov() != null) {
                em.put("fov", e.fov());
                em.put("fov_sha256", e.fovSha256());
            }
            em.put("width", e.width());
            em.put("height", e.height());
            em.put("channels", e.channels());
            em.put("samples", e.samples());
            em.put("mask_values", e.maskValues());
            es.add(em);
        }
        m.put("entries", es);
        return m;
    }

    /** This manifest alone as a JSON document. */
    public String toJson() {
        return toJson(List.of(this));
    }

    /** The manifests of a federation as one JSON document. */
    public static String toJson(List<SplitManifest> manifests) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        List<Object> sites = new ArrayList<>();
        for (SplitManifest sm : manifests) {
            sites.add(sm.toMap());
        }
        doc.put("sites", sites);
        return Jackson.writeLines(doc);
    }

    /** Writes the manifests of a federation to one JSON file (creating its folder). */
    public static void write(Path file, List<SplitManifest> manifests) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            org.resfim.state.AtomicFiles.writeString(file, toJson(manifests)); // runs hash it: never half-written
        } catch (IOException e) {
            throw new DataException(file.toString(), "manifest", "cannot write split manifest: " + e);
        }
    }

    /** Reads a manifest file written by {@link #write}. */
    public static List<SplitManifest> read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new DataException(file.toString(), "manifest", "cannot read split manifest: " + e);
        }
        return parse(text, file.toString());
    }

    public static List<SplitManifest> parse(String json, String file) {
        JsonNode doc;
        try {
            doc = Jackson.read(json);
        } catch (IllegalArgumentException e) {
            throw new DataException(file, "manifest", "not a valid split manifest (" + e.getMessage() + ")");
        }
        if (!doc.isObject() || !FORMAT.equals(doc.path("format").textValue())) {
            throw new DataException(file, "manifest", "not a split manifest: expected \"format\": \"" + FORMAT + "\"");
        }
        List<SplitManifest> out = new ArrayList<>();
        JsonNode sites = doc.get("sites");
        if (sites == null || !sites.isArray()) {
            throw new DataException(file, "manifest", "split manifest has no \"sites\" list");
        }
        try {
            for (JsonNode s : sites) {
                JsonNode r = s.get("ratios");
                SplitRatios ratios = new SplitRatios(number(r, "train").doubleValue(), number(r, "val").doubleValue(),
                        number(r, "test").doubleValue());
                List<Entry> entries = new ArrayList<>();
                for (JsonNode e : array(s, "entries")) {
                    Split split = Split.parse(str(e.get("split")));
                    if (split == null) {
                        throw new IllegalArgumentException("bad split '" + str(e.get("split")) + "'");
                    }
                    List<Integer> values = new ArrayList<>();
                    JsonNode mv = e.get("mask_values");
                    if (mv != null && mv.isArray()) {
                        for (JsonNode o : mv) {
                            values.add(number(o).intValue());
                        }
                    }
                    entries.add(new Entry(str(e.get("id")), str(e.get("patient")), split, str(e.get("image")),
                            str(e.get("image_sha256")), str(e.get("mask")), str(e.get("mask_sha256")),
                            str(e.get("fov")), str(e.get("fov_sha256")), integer(e.get("width")),
                            integer(e.get("height")), integer(e.get("channels")), integer(e.get("samples")), values));
                }
                out.add(new SplitManifest(str(s.get("site")), str(s.get("root")), number(s, "seed").longValue(), ratios, entries));
            }
        } catch (RuntimeException e) {
            throw new DataException(file, "manifest", "malformed split manifest: " + e.getMessage(), e);
        }
        return out;
    }

    private static String str(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    private static Number number(JsonNode parent, String key) {
        JsonNode n = parent == null ? null : parent.get(key);
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a number, found " + n);
        }
        return n.numberValue();
    }

    private static Number number(JsonNode n) {
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException("expected a number, found " + n);
        }
        return n.numberValue();
    }

    private static JsonNode array(JsonNode parent, String key) {
        JsonNode n = parent.get(key);
        if (n == null || !n.isArray()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a list, found " + n);
        }
        return n;
    }

    private static int integer(JsonNode n) {
        return n == null || n.isNull() ? 0 : number(n).intValue();
    }
}
