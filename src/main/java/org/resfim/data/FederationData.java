package org.resfim.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Loads a federation's sites: discovers files, decodes each once (in parallel), applies the label rule and
 * preprocessing, splits by patient (or reproduces a saved split) and keeps the samples in memory. Reads the
 * data folders only; decoded samples are also cached in memory, keyed by file identity and pipeline, so a
 * second load of the same data is cheap.
 */
public final class FederationData {
    private static final long CACHE_FLOATS = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 4 / 8);
    private static final Map<String, Decoded> CACHE = new LinkedHashMap<>(256, 0.75f, true);
    private static long cachedFloats;

    private FederationData() {
    }

    /** The sites of a configuration, at its seed and image size. */
    public static List<SiteDataset> load(FederationConfig config) {
        if (config.isSynthetic()) {
            return loadSynthetic(config);
        }
        List<SplitManifest> manifests = config.manifest() == null ? null : SplitManifest.read(config.manifest());
        List<SiteDataset> out = new ArrayList<>();
        for (SiteConfig sc : config.sites()) {
            out.add(loadSite(config, sc, manifests));
        }
        return out;
    }

    /** The sites of a configuration at another seed and square image size. */
    public static List<SiteDataset> load(FederationConfig config, long seed, int imageSize) {
        return load(config.withSeed(seed).withImageSize(imageSize));
    }

    /** Writes the split manifests of loaded sites as one JSON file (never inside a site folder). */
    public static void writeManifest(List<SiteDataset> sites, Path file) {
        refuseOutputInside(sites, file);
        List<SplitManifest> ms = new ArrayList<>();
        for (SiteDataset s : sites) {
            if (s.manifest() != null) {
                ms.add(s.manifest());
            }
        }
        SplitManifest.write(file, ms);
    }

    /** Fails when {@code out} (a file or folder to be written) lies inside the folder of one of the loaded sites. */
    public static void refuseOutputInside(List<SiteDataset> sites, Path out) {
        for (SiteDataset s : sites) {
            if (s.manifest() != null && s.manifest().root() != null && !s.manifest().root().startsWith("synthetic")) {
                refuseInside(out, Path.of(s.manifest().root()));
            }
        }
    }

    /**
     * Fails when {@code out} lies inside {@code dataFolder}, as written or once symbolic links are resolved (a
     * data folder reached through a link, or an output folder that links into the data): data folders are never
     * written to.
     */
    static void refuseInside(Path out, Path dataFolder) {
        Path o = out.toAbsolutePath().normalize();
        Path d = dataFolder.toAbsolutePath().normalize();
        if (o.startsWith(d) || resolved(o).startsWith(resolved(d))) {
            throw new DataException(out.toString(), "read-only data", "refusing to write inside the data folder " + d);
        }
    }

    /** {@code p} with symbolic links resolved in its longest existing prefix (the rest kept as written). */
    private static Path resolved(Path p) {
        Path existing = p;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return p;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(p)).normalize();
        } catch (IOException e) {
            return p;
        }
    }

    /** Forgets cached samples. */
    public static synchronized void clearCache() {
        CACHE.clear();
        cachedFloats = 0;
    }

    // ------------------------------------------------------------------ one site

    /**
     * Loads one declared site.
     *
     * @param manifests saved splits to reproduce, or null to draw the split
     */
    public static SiteDataset loadSite(FederationConfig config, SiteConfig sc, List<SplitManifest> manifests) {
        Site site = Site.discover(sc, config.siteFolder(sc));
        List<Decoded> decoded = decodeAll(site, config.preprocessing());
        Map<String, Split> assignment;
        SplitManifest saved = null;
        if (manifests != null) {
            String file = config.manifest() == null ? "split manifest" : config.manifest().toString();
            for (SplitManifest m : manifests) {
                if (m.site().equals(sc.name())) {
                    saved = m;
                }
            }
            if (saved == null) {
                throw new DataException(file, "manifest", "the split manifest has no site '" + sc.name() + "'");
            }
            verify(site, decoded, saved, file);
            assignment = saved.assignment();
        } else {
            List<Splitter.Item> items = new ArrayList<>();
            for (Decoded d : decoded) {
                items.add(new Splitter.Item(d.files.id(), d.files.patientId(), d.files.officialSplit()));
            }
            assignment = Splitter.assign(items, config.splitRatios(), config.seed(), sc.name());
        }
        Map<Split, List<Sample>> parts = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            parts.put(s, new ArrayList<>());
        }
        List<SplitManifest.Entry> entries = new ArrayList<>();
        for (Decoded d : decoded) {
            Split s = assignment.get(d.files.id());
            parts.get(s).addAll(d.samples);
            entries.add(d.entry(site.folder(), s));
        }
        entries.sort(Comparator.comparing(SplitManifest.Entry::id));
        SplitManifest manifest = new SplitManifest(sc.name(), site.folder().toString(),
                saved != null ? saved.seed() : config.seed(), saved != null ? saved.ratios() : config.splitRatios(),
                entries);
        return new SiteDataset(sc.name(), parts.get(Split.TRAIN), parts.get(Split.VAL), parts.get(Split.TEST), manifest);
    }

    private static void verify(Site site, List<Decoded> decoded, SplitManifest saved, String manifestFile) {
        Set<String> found = new HashSet<>();
        for (Decoded d : decoded) {
            found.add(d.files.id());
            SplitManifest.Entry e = saved.entry(d.files.id());
            if (e == null) {
                throw new DataException(d.files.image().toString(), "manifest", "file is not in the split manifest "
                        + manifestFile + " (site '" + site.name() + "'): the data changed since the manifest was written");
            }
            checkHash(d.files.image(), e.imageSha256(), d.imageSha, manifestFile);
            checkHash(d.files.mask(), e.maskSha256(), d.maskSha, manifestFile);
            if (d.files.fov() != null) {
                checkHash(d.files.fov(), e.fovSha256(), d.fovSha, manifestFile);
            }
        }
        for (SplitManifest.Entry e : saved.entries()) {
            if (!found.contains(e.id())) {
                throw new DataException(site.folder().resolve(e.image()).toString(), "manifest",
                        "file listed in the split manifest " + manifestFile + " is missing (site '" + site.name() + "')");
            }
        }
    }

    private static void checkHash(Path file, String expected, String actual, String manifestFile) {
        if (expected != null && !expected.equals(actual)) {
            throw new DataException(file.toString(), "manifest", "content changed since the split manifest was written"
                    + " (sha256 " + abbrev(expected) + " in " + manifestFile + ", now " + abbrev(actual) + ")");
        }
    }

    private static String abbrev(String sha) {
        return sha == null ? "none" : sha.substring(0, Math.min(12, sha.length())) + "…";
    }

    // ------------------------------------------------------------------ decoding

    /** A decoded file set and what the data check reports about it. */
    static final class Decoded {
        final Site.Files files;
        final String imageSha;
        final String maskSha;
        final String fovSha;
        final int width;
        final int height;
        final int channels;
        final int[] maskValues;
        final List<Sample> samples;

        Decoded(Site.Files files, String imageSha, String maskSha, String fovSha, int width, int height, int channels,
                int[] maskValues, List<Sample> samples) {
            this.files = files;
            this.imageSha = imageSha;
            this.maskSha = maskSha;
            this.fovSha = fovSha;
            this.width = width;
            this.height = height;
            this.channels = channels;
            this.maskValues = maskValues;
            this.samples = List.copyOf(samples);
        }

        long floats() {
            long n = 0;
            for (Sample s : samples) {
                n += s.image().length + s.mask().length + (s.fov() == null ? 0 : s.fov().length);
            }
            return n;
        }

        SplitManifest.Entry entry(Path siteFolder, Split split) {
            List<Integer> mv = new ArrayList<>();
            for (int v : maskValues) {
                mv.add(v);
            }
            return new SplitManifest.Entry(files.id(), files.patientId(), split, files.id(), imageSha,
                    Site.relative(siteFolder, files.mask()), maskSha,
                    files.fov() == null ? null : Site.relative(siteFolder, files.fov()), fovSha, width, height,
                    channels, samples.size(), mv);
        }
    }

    static List<Decoded> decodeAll(Site site, Preprocessing pre) {
        List<Site.Files> files = site.files();
        int threads = Math.max(1, Math.min(4, Math.min(files.size(), Runtime.getRuntime().availableProcessors())));
        if (threads == 1) {
            List<Decoded> out = new ArrayList<>();
            for (Site.Files f : files) {
                out.add(decodeCached(site.config(), f, pre));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "resfim-decode"); // "resfim-": a site's liveness reports count its CPU time
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Decoded>> futures = new ArrayList<>();
            for (Site.Files f : files) {
                futures.add(pool.submit(() -> decodeCached(site.config(), f, pre)));
            }
            List<Decoded> out = new ArrayList<>();
            for (Future<Decoded> fu : futures) {
                try {
                    out.add(fu.get());
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException) {
                        throw (RuntimeException) c;
                    }
                    if (c instanceof Error) {
                        throw (Error) c;
                    }
                    throw new IllegalStateException(c);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while decoding site " + site.name(), e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static String identity(Path p) {
        if (p == null) {
            return "-";
        }
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return p.toAbsolutePath() + "@" + a.size() + "@" + a.lastModifiedTime().toMillis() + "@" + a.fileKey();
        } catch (IOException e) {
            return p.toAbsolutePath() + "@?";
        }
    }

    static Decoded decodeCached(SiteConfig sc, Site.Files f, Preprocessing pre) {
        String key = pre.signature() + "|" + sc.label().signature() + "|" + sc.nifti().signature() + "|" + f.id() + "|"
                + f.patientId() + "|" + identity(f.image()) + "|" + identity(f.mask()) + "|" + identity(f.fov());
        synchronized (FederationData.class) {
            Decoded d = CACHE.get(key);
            if (d != null) {
                return d;
            }
        }
        Decoded d = decode(sc, f, pre);
        synchronized (FederationData.class) {
            long n = d.floats();
            if (n <= CACHE_FLOATS / 4) {
                CACHE.put(key, d);
                cachedFloats += n;
                var it = CACHE.entrySet().iterator();
                while (cachedFloats > CACHE_FLOATS && it.hasNext()) {
                    cachedFloats -= it.next().getValue().floats();
                    it.remove();
                }
            }
        }
        return d;
    }

    static Decoded decode(SiteConfig sc, Site.Files f, Preprocessing pre) {
        byte[] imgBytes = ImageDecoder.readBytes(f.image());
        byte[] maskBytes = ImageDecoder.readBytes(f.mask());
        byte[] fovBytes = f.fov() == null ? null : ImageDecoder.readBytes(f.fov());
        String imgSha = sha256(imgBytes);
        String maskSha = sha256(maskBytes);
        String fovSha = fovBytes == null ? null : sha256(fovBytes);
        String imgName = f.image().getFileName().toString();
        if (ImageDecoder.isNifti(imgName)) {
            return decodeVolume(sc, f, pre, imgBytes, maskBytes, imgSha, maskSha);
        }
        if (ImageDecoder.isNifti(f.mask().getFileName().toString())) {
            throw new DataException(f.mask().toString(), "mask", "a NIfTI mask needs a NIfTI image; the image is "
                    + f.image());
        }
        String ext = ImageDecoder.extension(imgName);
        if (!ImageDecoder.IMAGE_EXTENSIONS.contains(ext)) {
            throw new DataException(f.image().toString(), "known format", "unknown image format '"
                    + (ext.isEmpty() ? imgName : "." + ext) + "' (supported: " + ImageDecoder.SUPPORTED + ")");
        }
        RawImage img = ImageDecoder.decode(imgBytes, f.image().toString());
        int[] msize = new int[2];
        int[] stored = ImageDecoder.decodeLabels(maskBytes, f.mask().toString(), msize);
        if (msize[0] != img.height() || msize[1] != img.width()) {
            throw new DataException(f.mask().toString(), "mask size", "mask is " + msize[1] + "x" + msize[0]
                    + " but its image " + f.image() + " is " + img.width() + "x" + img.height());
        }
        float[] label = sc.label().apply(stored, f.mask().toString());
        float[] fov = null;
        if (fovBytes != null) {
            int[] fsize = new int[2];
            int[] fstored = ImageDecoder.decodeLabels(fovBytes, f.fov().toString(), fsize);
            if (fsize[0] != img.height() || fsize[1] != img.width()) {
                throw new DataException(f.fov().toString(), "fov size", "field-of-view mask is " + fsize[1] + "x"
                        + fsize[0] + " but its image " + f.image() + " is " + img.width() + "x" + img.height());
            }
            fov = new float[fstored.length];
            for (int i = 0; i < fov.length; i++) {
                fov[i] = fstored[i] >= 128 ? 1f : 0f;
            }
        }
        Sample s = pre.apply(img, label, fov, f.id(), f.patientId(), f.image().toString());
        return new Decoded(f, imgSha, maskSha, fovSha, img.width(), img.height(), img.channels(),
                LabelRule.distinct(stored), List.of(s));
    }

    private static Decoded decodeVolume(SiteConfig sc, Site.Files f, Preprocessing pre, byte[] imgBytes,
                                        byte[] maskBytes, String imgSha, String maskSha) {
        if (f.fov() != null) {
            throw new DataException(f.fov().toString(), "fov", "field-of-view masks are not supported for NIfTI volumes");
        }
        NiftiOptions no = sc.nifti();
        NiftiVolume vol = NiftiVolume.read(imgBytes, f.image().toString());
        if (!ImageDecoder.isNifti(f.mask().getFileName().toString())) {
            throw new DataException(f.mask().toString(), "mask", "the mask of a NIfTI volume must be a NIfTI volume");
        }
        NiftiVolume mvol = NiftiVolume.read(maskBytes, f.mask().toString());
        if (mvol.nx() != vol.nx() || mvol.ny() != vol.ny() || mvol.nz() != vol.nz()) {
            throw new DataException(f.mask().toString(), "mask size", "mask volume is " + mvol.nx() + "x" + mvol.ny()
                    + "x" + mvol.nz() + " but its image " + f.image() + " is " + vol.nx() + "x" + vol.ny() + "x"
                    + vol.nz());
        }
        float[] p = ImageOps.percentiles(vol.data(), no.lowPercentile(), no.highPercentile());
        float lo = p[0];
        float range = p[1] - p[0];
        int[] shape = new int[2];
        List<Sample> samples = new ArrayList<>();
        Set<Integer> values = new java.util.TreeSet<>();
        int n = vol.slices(no.axis());
        char axisName = "xyz".charAt(no.axis());
        for (int i = 0; i < n; i++) {
            float[] slice = vol.slice(no.axis(), i, shape);
            for (int k = 0; k < slice.length; k++) {
                float v = range > 0 ? (slice[k] - lo) / range : 0f;
                slice[k] = v < 0f ? 0f : (v > 1f ? 1f : v);
            }
            float[] ms = mvol.slice(no.axis(), i, new int[2]);
            int[] stored = new int[ms.length];
            for (int k = 0; k < ms.length; k++) {
                stored[k] = Math.round(ms[k]);
                if (values.size() <= 256) {
                    values.add(stored[k]);
                }
            }
            String sliceName = f.mask() + " (slice " + axisName + "=" + i + ")";
            float[] label = sc.label().apply(stored, sliceName);
            if (no.foregroundSlicesOnly()) {
                boolean any = false;
                for (float v : label) {
                    if (v != 0f) {
                        any = true;
                        break;
                    }
                }
                if (!any) {
                    continue;
                }
            }
            RawImage raw = new RawImage(1, shape[0], shape[1], slice, 1f);
            String id = String.format("%s#%c=%03d", f.id(), axisName, i);
            samples.add(pre.apply(raw, label, null, id, f.patientId(), f.image().toString()));
        }
        if (samples.isEmpty()) {
            throw new DataException(f.mask().toString(), "nifti.slices", "no slice of this volume has foreground"
                    + " (nifti: {slices: foreground}); check the label rule");
        }
        int[] mv = values.stream().mapToInt(Integer::intValue).toArray();
        int[] s0 = new int[2];
        vol.slice(no.axis(), 0, s0);
        return new Decoded(f, imgSha, maskSha, null, s0[1], s0[0], 1, mv, samples);
    }

    static String sha256(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            StringBuilder sb = new StringBuilder(64);
            for (byte b : d) {
                sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ synthetic

    private static List<SiteDataset> loadSynthetic(FederationConfig config) {
        SyntheticConfig sc = config.synthetic();
        if (config.imageHeight() != config.imageWidth()) {
            throw new org.resfim.config.ConfigException(config.source(), "config.value of data.image_size",
                    "the synthetic federation makes square images; got image size " + config.imageHeight() + "x"
                            + config.imageWidth());
        }
        long dataSeed = sc.seed() != null ? sc.seed() : config.seed();
        List<SiteDataset> sites = SyntheticSites.generate(sc.sites(), sc.samples(), config.imageHeight(), dataSeed,
                config.seed(), config.splitRatios());
        if (config.channels() == 1) {
            List<SiteDataset> grey = new ArrayList<>();
            for (SiteDataset s : sites) {
                grey.add(new SiteDataset(s.name(), toGrey(s.train()), toGrey(s.val()), toGrey(s.test()), s.manifest()));
            }
            sites = grey;
        }
        if (config.manifest() != null) {
            List<SplitManifest> ms = SplitManifest.read(config.manifest());
            List<SiteDataset> out = new ArrayList<>();
            for (SiteDataset s : sites) {
                SplitManifest saved = null;
                for (SplitManifest m : ms) {
                    if (m.site().equals(s.name())) {
                        saved = m;
                    }
                }
                if (saved == null) {
                    throw new DataException(config.manifest().toString(), "manifest",
                            "the split manifest has no site '" + s.name() + "'");
                }
                out.add(resplit(s, saved, config.manifest().toString()));
            }
            sites = out;
        }
        return sites;
    }

    private static List<Sample> toGrey(List<Sample> in) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : in) {
            float[] g = ImageOps.convertChannels(s.image(), s.channels(), 1, s.height() * s.width());
            out.add(new Sample(s.id(), s.patientId(), g, 1, s.height(), s.width(), s.mask(), s.fov(), s.sourcePath()));
        }
        return out;
    }

    private static SiteDataset resplit(SiteDataset s, SplitManifest saved, String file) {
        Map<String, Sample> byId = new HashMap<>();
        for (Sample x : s.all()) {
            byId.put(x.id(), x);
        }
        Map<Split, List<Sample>> parts = new EnumMap<>(Split.class);
        for (Split sp : Split.values()) {
            parts.put(sp, new ArrayList<>());
        }
        List<SplitManifest.Entry> entries = new ArrayList<>();
        for (SplitManifest.Entry e : saved.entries()) {
            Sample x = byId.remove(e.id());
            if (x == null) {
                throw new DataException(file, "manifest", "synthetic site '" + s.name() + "' has no sample '" + e.id()
                        + "' listed in the split manifest (different synthetic settings?)");
            }
            parts.get(e.split()).add(x);
            entries.add(e);
        }
        if (!byId.isEmpty()) {
            throw new DataException(file, "manifest", "synthetic site '" + s.name() + "' has samples the split manifest"
                    + " does not list, e.g. '" + byId.keySet().iterator().next() + "' (different synthetic settings?)");
        }
        SplitManifest m = new SplitManifest(s.name(), saved.root(), saved.seed(), saved.ratios(), entries);
        return new SiteDataset(s.name(), parts.get(Split.TRAIN), parts.get(Split.VAL), parts.get(Split.TEST), m);
    }
}
