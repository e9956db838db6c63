package org.resfim.data;

import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A site with its sample files found on disk: the result of applying a {@link SiteConfig}'s folders, globs and
 * naming rules. Nothing is decoded yet.
 */
public final class Site {
    /**
     * The files of one sample (or one volume, for NIfTI).
     *
     * @param id            the image path relative to the site folder, with '/' separators
     * @param patientId     from the patient template, else {@code id}
     * @param image         the image file
     * @param mask          its mask file
     * @param fov           its field-of-view file, or null
     * @param officialSplit the declared split, or null
     */
    public record Files(String id, String patientId, Path image, Path mask, Path fov, Split officialSplit) {
    }

    private final SiteConfig config;
    private final Path folder;
    private final List<Files> files;

    private Site(SiteConfig config, Path folder, List<Files> files) {
        this.config = config;
        this.folder = folder;
        this.files = List.copyOf(files);
    }

    public String name() {
        return config.name();
    }

    public SiteConfig config() {
        return config;
    }

    /** The site folder (absolute). */
    public Path folder() {
        return folder;
    }

    /** Sample files in a stable order (by source, then path). */
    public List<Files> files() {
        return files;
    }

    /** Finds a site's files in {@code folder}; reads directory listings only. */
    public static Site discover(SiteConfig config, Path folder) {
        if (!java.nio.file.Files.isDirectory(folder)) {
            throw new DataException(folder.toString(), "folder", "site '" + config.name() + "': folder does not exist"
                    + (java.nio.file.Files.exists(folder) ? " (it is a file)" : brokenLink(folder))
                    + " (declared as folder: '" + config.folder() + "')");
        }
        List<Files> all = new ArrayList<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (SourceConfig src : config.sources()) {
            for (Files f : discoverSource(config, folder, src)) {
                if (!ids.add(f.id())) {
                    throw new DataException(f.image().toString(), "sources", "site '" + config.name()
                            + "': image is matched by two sources; make the sources' folders or globs disjoint");
                }
                all.add(f);
            }
        }
        return new Site(config, folder, all);
    }

    private static List<Files> discoverSource(SiteConfig site, Path siteFolder, SourceConfig src) {
        Path dir = siteFolder.resolve(src.folder()).normalize();
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new DataException(dir.toString(), "folder", "site '" + site.name() + "': source folder does not exist"
                    + (java.nio.file.Files.exists(dir) ? " (it is a file)" : brokenLink(dir))
                    + " (declared as folder: '" + src.folder() + "')");
        }
        List<Path> images = matchingFiles(site, dir, src.images());
        if (images.isEmpty()) {
            throw new DataException(dir.toString(), "images", "site '" + site.name() + "' has no samples: no file matches"
                    + " images: '" + src.images() + "' in this folder");
        }
        Pattern match = src.match() == null ? null : Pattern.compile(src.match());
        List<String> groupNames = new ArrayList<>(NameTemplate.available(match));
        List<Files> out = new ArrayList<>();
        for (Path img : images) {
            String name = img.getFileName().toString();
            Map<String, String> vars = new HashMap<>();
            vars.put("name", name);
            vars.put("stem", NameTemplate.stem(name));
            vars.put("ext", ImageDecoder.extension(name));
            if (match != null) {
                Matcher m = match.matcher(name);
                if (!m.find()) {
                    throw new DataException(img.toString(), "match", "image file name does not match the site's"
                            + " pattern match: '" + src.match() + "' (site '" + site.name() + "')");
                }
                for (String g : groupNames) {
                    if (NameTemplate.BUILTINS.contains(g)) {
                        continue;
                    }
                    String v = g.chars().allMatch(Character::isDigit) ? m.group(Integer.parseInt(g)) : m.group(g);
                    vars.put(g, v == null ? "" : v);
                }
            }
            Path mask = dir.resolve(NameTemplate.render(src.mask(), vars)).normalize();
            if (!java.nio.file.Files.isRegularFile(mask)) {
                throw new DataException(img.toString(), "mask", "mask missing for image: expected " + mask
                        + " (mask: '" + src.mask() + "', site '" + site.name() + "')");
            }
            Path fov = null;
            if (src.fov() != null) {
                fov = dir.resolve(NameTemplate.render(src.fov(), vars)).normalize();
                if (!java.nio.file.Files.isRegularFile(fov)) {
                    throw new DataException(img.toString(), "fov", "field-of-view mask missing for image: expected "
                            + fov + " (fov: '" + src.fov() + "', site '" + site.name() + "')");
                }
            }
            String id = relative(siteFolder, img);
            String patient = src.patient() == null ? id : NameTemplate.render(src.patient(), vars);
            if (patient.isEmpty()) {
                throw new DataException(img.toString(), "patient", "patient id is empty (patient: '" + src.patient()
                        + "', site '" + site.name() + "')");
            }
            out.add(new Files(id, patient, img, mask, fov, src.split()));
        }
        return out;
    }

    /**
     * The regular files under {@code dir} whose path relative to it matches {@code glob}, sorted; hidden files
     * (names starting with '.') are left out. Symbolic links are followed everywhere (the folder itself, its
     * subfolders and the files: data on mounted volumes is usually linked in), at most 16 levels deep. A link
     * that leads back to a folder above it, a matching name whose link is broken or an unreadable folder is an
     * error naming the path; nothing is ever walked twice round a loop.
     */
    static List<Path> matchingFiles(SiteConfig site, Path dir, String glob) {
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        List<Path> images = new ArrayList<>();
        try {
            java.nio.file.Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), 16,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path p, BasicFileAttributes a) {
                            if (p.getFileName().toString().startsWith(".")
                                    || !matcher.matches(dir.relativize(p))) {
                                return FileVisitResult.CONTINUE;
                            }
                            if (a.isRegularFile()) {
                                images.add(p);
                            } else if (a.isSymbolicLink()) {
                                // FOLLOW_LINKS gives a link's own attributes only when its target cannot be read
                                throw new DataException(p.toString(), "images", "site '" + site.name()
                                        + "': broken symbolic link (its target " + target(p)
                                        + " does not exist or cannot be read)");
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path p, IOException e) {
                            if (e instanceof FileSystemLoopException) {
                                throw new DataException(p.toString(), "folder", "site '" + site.name()
                                        + "': symbolic link loop: this link leads back to " + target(p)
                                        + ", a folder it lies in; remove the link");
                            }
                            throw new DataException(p.toString(), "folder", "site '" + site.name()
                                    + "': cannot read: " + e);
                        }
                    });
        } catch (IOException e) {
            throw new DataException(dir.toString(), "folder", "site '" + site.name() + "': cannot list folder: " + e);
        }
        images.sort(null);
        return images;
    }

    /** " (a broken symbolic link to T)" when {@code p} or a folder above it is a link whose target is missing. */
    private static String brokenLink(Path p) {
        for (Path q = p; q != null; q = q.getParent()) {
            if (java.nio.file.Files.isSymbolicLink(q) && !java.nio.file.Files.exists(q)) {
                return " (" + (q.equals(p) ? "it" : q.toString()) + " is a broken symbolic link to " + target(q) + ")";
            }
        }
        return "";
    }

    private static String target(Path link) {
        try {
            return link.toRealPath().toString();
        } catch (IOException e) {
            try {
                return java.nio.file.Files.readSymbolicLink(link).toString();
            } catch (IOException | UnsupportedOperationException e2) {
                return "?";
            }
        }
    }

    static String relative(Path base, Path file) {
        Path rel = base.relativize(file);
        StringBuilder sb = new StringBuilder();
        for (Path part : rel) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }
}
