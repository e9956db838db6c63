package org.resfim.federation;

import org.resfim.state.AtomicFiles;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Site states on disk: {@code DIR/<site>/round-<r>/<name>.rfim} plus {@code meta.properties}, written to a
 * temporary folder and renamed, so a kill at any moment leaves either the old or the new round complete.
 * The last two rounds are kept (the coordinator's checkpoint may lag one round behind a site).
 *
 * <p>A store of site models is given what describes each site's model (its {@link ModelCard} and where it
 * came from); every state file it writes, the selected model included, carries that description, so a copied
 * model file is enough to apply the model.
 */
public final class FileSiteStore implements SiteStore {
    private final Path dir;
    private final Function<String, Map<String, String>> description;

    /** A store whose files carry no model description (the coordinator's checkpoints). */
    public FileSiteStore(Path dir) {
        this(dir, site -> Map.of());
    }

    /**
     * @param description per site, the metadata every state file of that site carries (for example
     *                    {@link ModelCard#toMetadata()} plus the method and seed)
     */
    public FileSiteStore(Path dir, Function<String, Map<String, String>> description) {
        this.dir = dir;
        this.description = description;
    }

    @Override
    public void save(String site, int round, ProcedureState state) {
        Path siteDir = dir.resolve(site);
        Path tmp = siteDir.resolve("round-" + round + ".tmp");
        Path fin = siteDir.resolve("round-" + round);
        try {
            AtomicFiles.deleteTree(tmp);
            Files.createDirectories(tmp);
            for (Map.Entry<String, ModelState> e : state.states().entrySet()) {
                StateFile.write(e.getValue(), description.apply(site), tmp.resolve(e.getKey() + StateFile.EXTENSION));
            }
            java.util.Properties p = new java.util.Properties();
            p.putAll(state.meta());
            p.setProperty("states", String.join(",", state.states().keySet()));
            try (var w = Files.newBufferedWriter(tmp.resolve("meta.properties"), StandardCharsets.UTF_8)) {
                p.store(w, "site " + site + " after round " + round);
            }
            AtomicFiles.replaceDirectory(tmp, fin);
            for (int old : rounds(site)) {
                if (old < round - 1 || old > round) {
                    AtomicFiles.deleteTree(siteDir.resolve("round-" + old));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the state of site '" + site + "' after round " + round + " in " + siteDir, e);
        }
    }

    @Override
    public ProcedureState load(String site, int round) {
        Path d = dir.resolve(site).resolve("round-" + round);
        if (!Files.isDirectory(d)) {
            throw new IllegalStateException("site '" + site + "' has no saved state for round " + round + " in " + dir.resolve(site)
                    + " (saved rounds: " + rounds(site) + ")");
        }
        try {
            java.util.Properties p = new java.util.Properties();
            try (var r = Files.newBufferedReader(d.resolve("meta.properties"), StandardCharsets.UTF_8)) {
                p.load(r);
            }
            Map<String, ModelState> states = new LinkedHashMap<>();
            String names = p.getProperty("states", "");
            for (String n : names.isEmpty() ? new String[0] : names.split(",")) {
                states.put(n, StateFile.read(d.resolve(n + StateFile.EXTENSION)));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            for (String k : p.stringPropertyNames()) {
                if (!k.equals("states")) {
                    meta.put(k, p.getProperty(k));
                }
            }
            return new ProcedureState(states, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state of site '" + site + "' for round " + round + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void saveBest(String site, int round, double valDice, ModelState model) {
        try {
            Files.createDirectories(dir.resolve(site));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("site", site);
            meta.put("round", Integer.toString(round));
            meta.put("val_dice", Double.toString(valDice));
            meta.putAll(description.apply(site));
            StateFile.write(model, meta, bestFile(site));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the selected model of site '" + site + "'", e);
        }
    }

    /** Deletes every per-round state (after a run completed; the selected models stay). */
    public void pruneRounds() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> sites = Files.list(dir)) {
            for (Path site : sites.toList()) {
                for (int r : rounds(site.getFileName().toString())) {
                    AtomicFiles.deleteTree(site.resolve("round-" + r));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the selected personal model of {@code site} is kept. */
    public Path bestFile(String site) {
        return dir.resolve(site).resolve("selected-model" + StateFile.EXTENSION);
    }

    /** Rounds with a complete saved state for {@code site}, ascending. */
    public List<Integer> rounds(String site) {
        List<Integer> out = new ArrayList<>();
        Path siteDir = dir.resolve(site);
        if (!Files.isDirectory(siteDir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(siteDir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("round-\\d+"))
                    .forEach(n -> out.add(Integer.parseInt(n.substring(6))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
