package org.resfim.data;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A path or id template such as {@code labels/{stem}_1stHO.png}. */
final class NameTemplate {
    private static final Pattern VAR = Pattern.compile("\\{([A-Za-z0-9_]+)\\}");
    private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?<([A-Za-z][A-Za-z0-9]*)>");
    static final Set<String> BUILTINS = Set.of("stem", "name", "ext");

    private NameTemplate() {
    }

    /** The variables a template uses. */
    static List<String> variables(String template) {
        List<String> out = new ArrayList<>();
        Matcher m = VAR.matcher(template);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** Names usable in templates for a match regex: the built-ins, its named groups, and 1..groupCount. */
    static Set<String> available(Pattern match) {
        Set<String> names = new LinkedHashSet<>(BUILTINS);
        if (match != null) {
            Matcher g = GROUP_NAME.matcher(match.pattern());
            while (g.find()) {
                names.add(g.group(1));
            }
            int n = match.matcher("").groupCount();
            for (int i = 1; i <= n; i++) {
                names.add(Integer.toString(i));
            }
        }
        return names;
    }

    static String render(String template, Map<String, String> vars) {
        Matcher m = VAR.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** The file name without its extension ({@code .nii.gz} counts as one). */
    static String stem(String fileName) {
        String ext = ImageDecoder.extension(fileName);
        return ext.isEmpty() ? fileName : fileName.substring(0, fileName.length() - ext.length() - 1);
    }
}
