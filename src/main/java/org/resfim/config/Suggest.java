package org.resfim.config;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one "did you mean" of ResFIM: the known name a mistyped one most likely meant. Besides typos (edit
 * distance, adjacent transpositions counted once) it recognises the same name in another spelling
 * ({@code weight-decay}, {@code weightDecay} for {@code weight_decay}), abbreviations by initials
 * ({@code learning_rate} for {@code lr}, {@code bs} for {@code batch_size}), a name inside a longer one
 * ({@code epochs} for {@code local_epochs}, {@code num_rounds} for {@code rounds}) and a few synonyms
 * other frameworks use.
 */
public final class Suggest {
    /** Names other tools use for what ResFIM calls by the value (compared after {@link #normalize}). */
    private static final Map<String, List<String>> SYNONYMS = Map.of(
            "clients", List.of("sites"),
            "num_clients", List.of("sites"),
            "client", List.of("site"),
            "l2", List.of("weight_decay"),
            "normalization", List.of("norm"),
            "normalisation", List.of("norm"));

    private Suggest() {
    }

    /** The candidate {@code word} most likely meant, or null when none is close enough to suggest. */
    public static String nearest(String word, Collection<String> candidates) {
        if (word == null || candidates.isEmpty()) {
            return null;
        }
        String w = normalize(word);
        for (String c : candidates) {
            if (normalize(c).equals(w)) {
                return c;
            }
        }
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(w, normalize(c));
            if (d < bestD || (d == bestD && best != null && c.compareTo(best) < 0)) {
                bestD = d;
                best = c;
            }
        }
        // close by edit distance, and not merely as long as the word (two letters are not a typo of two others)
        if (best != null && bestD <= Math.max(2, w.length() / 3) && bestD < w.length() && bestD < normalize(best).length()) {
            return best;
        }
        for (String c : candidates) {
            if (SYNONYMS.getOrDefault(w, List.of()).contains(normalize(c))) {
                return c;
            }
        }
        for (String c : candidates) {
            String n = normalize(c);
            if (initials(w).equals(n) || initials(n).equals(w)) {
                return c;
            }
        }
        String inside = null;
        int insideD = Integer.MAX_VALUE;
        for (String c : candidates) {
            String n = normalize(c);
            boolean contained = (n.length() >= 3 && containsPart(w, n)) || (w.length() >= 3 && containsPart(n, w));
            int d = distance(w, n);
            if (contained && d < insideD) {
                insideD = d;
                inside = c;
            }
        }
        return inside;
    }

    /** Lower case, words separated by '_' whether written with '-', ' ', or camelCase. */
    static String normalize(String s) {
        StringBuilder b = new StringBuilder(s.length() + 4);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isUpperCase(c) && i > 0 && (Character.isLowerCase(s.charAt(i - 1)) || Character.isDigit(s.charAt(i - 1)))) {
                b.append('_');
            }
            b.append(c == '-' || c == ' ' ? '_' : Character.toLowerCase(c));
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /** First letters of the '_'-separated words, or "" for a single word (one letter is no abbreviation). */
    private static String initials(String normalized) {
        String last = normalized.substring(normalized.lastIndexOf('.') + 1);
        String[] parts = last.split("_+");
        if (parts.length < 2) {
            return "";
        }
        StringBuilder b = new StringBuilder(normalized.substring(0, normalized.lastIndexOf('.') + 1));
        for (String p : parts) {
            if (!p.isEmpty()) {
                b.append(p.charAt(0));
            }
        }
        return b.toString();
    }

    /** True when {@code part} is one or more whole '_'-separated words of {@code whole}. */
    private static boolean containsPart(String whole, String part) {
        return ("_" + whole.replace('.', '_') + "_").contains("_" + part.replace('.', '_') + "_");
    }

    /** Edit distance counting insertions, deletions, substitutions and adjacent transpositions (optimal string alignment). */
    public static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
