package org.resfim.run;

import java.util.ArrayList;
import java.util.List;
import org.resfim.state.Jackson;

/**
 * One independent unit of a run directory's plan: a method at a seed and fold. A one-process run trains the cells in
 * the order of {@link #all} (seed, then fold, then method); run on their own ({@code simulate --resume DIR --cell I}),
 * in any order and at the same time, they give the same numbers.
 *
 * @param index its place in that order, from 0 (what a Slurm array or Kubernetes Indexed Job passes)
 * @param folds the plan's folds (1: no cross-validation)
 */
public record Cell(int index, String method, long seed, int fold, int folds) {
    /** {@code method/seed/fold}, e.g. {@code fedprox:mu=0.1/0/2}. */
    public String id() {
        return method + "/" + seed + "/" + fold;
    }

    /** As the run's log names it. */
    public String label() {
        return "cell " + index + " (" + method + " seed " + seed + (folds > 1 ? " fold " + fold : "") + ")";
    }

    /** Every cell of a plan, in the order a one-process run trains them. */
    public static List<Cell> all(List<String> methods, List<Long> seeds, int folds) {
        List<Cell> out = new ArrayList<>();
        int f = Math.max(1, folds);
        for (long seed : seeds) {
            for (int fold = 0; fold < f; fold++) {
                for (String m : methods) {
                    out.add(new Cell(out.size(), m, seed, fold, f));
                }
            }
        }
        return out;
    }

    /**
     * The cells of the plan in a run directory, from its {@code config.resolved.json} (methods, seeds, evaluation.folds).
     *
     * @throws IllegalArgumentException naming the directory when it holds no plan
     */
    public static List<Cell> of(java.nio.file.Path runDir) {
        java.nio.file.Path f = runDir.resolve(RunDirectory.RESOLVED);
        if (!java.nio.file.Files.isRegularFile(f)) {
            throw new IllegalArgumentException(runDir + " holds no plan (" + f.getFileName() + " is missing): write it with "
                    + "`resfim simulate --plan-only --out " + runDir + "`");
        }
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = RunDirectory.upgrade(Jackson.MAPPER.readTree(f.toFile()));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage(), e);
        }
        List<String> methods = new ArrayList<>();
        n.path("methods").forEach(x -> methods.add(x.asText()));
        List<Long> seeds = new ArrayList<>();
        n.path("seeds").forEach(x -> seeds.add(x.asLong()));
        if (methods.isEmpty() || seeds.isEmpty()) {
            throw new IllegalArgumentException(f + " names no methods or no seeds: not a plan written by `resfim simulate`");
        }
        return all(methods, seeds, n.path("evaluation").path("folds").asInt(1));
    }

    /**
     * The cell {@code text} names among {@code cells}: its index ({@code 3}) or {@code method/seed[/fold]} (the fold
     * may be left out when the plan has one).
     *
     * @throws IllegalArgumentException naming the cell and what the plan holds
     */
    public static Cell find(List<Cell> cells, String text) {
        String t = text == null ? "" : text.trim();
        if (t.matches("\\d+")) {
            int i;
            try {
                i = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                i = -1;
            }
            if (i < 0 || i >= cells.size()) {
                throw new IllegalArgumentException("--cell " + t + ": the plan has " + cells.size() + " cells, 0 to " + (cells.size() - 1)
                        + " (`resfim sweep list DIR` lists them)");
            }
            return cells.get(i);
        }
        String[] parts = t.split("/");
        if (parts.length >= 2) {
            for (Cell c : cells) {
                if (c.id().equals(t) || (c.folds() == 1 && (c.method() + "/" + c.seed()).equals(t))) {
                    return c;
                }
            }
        }
        String example = cells.isEmpty() ? "" : " (e.g. " + cells.get(0).id() + " or 0)";
        throw new IllegalArgumentException("--cell '" + t + "': no such cell in the plan; give its index 0 to " + (cells.size() - 1)
                + " or method/seed/fold" + example + " (`resfim sweep list DIR` lists them)");
    }
}
