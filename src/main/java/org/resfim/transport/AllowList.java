package org.resfim.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which client certificate identities (subject common names) the server admits, and the one site each is
 * bound to. File format, one binding a line: {@code IDENTITY SITE} ({@code #} starts a comment); an identity
 * appears once, a site may have several identities (certificate rotation).
 */
public final class AllowList {
    private final Map<String, String> siteOf;

    public AllowList(Map<String, String> identityToSite) {
        this.siteOf = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(identityToSite));
    }

    public static AllowList read(Path file) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the allow-list " + file + ": " + e.getMessage(), e);
        }
    }

    public static AllowList parse(List<String> lines, String source) {
        Map<String, String> m = new LinkedHashMap<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')) : raw;
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length != 2) {
                throw new IllegalArgumentException(source + " line " + n + ": expected 'IDENTITY SITE', got '" + raw.strip() + "'");
            }
            if (m.containsKey(f[0])) {
                throw new IllegalArgumentException(source + " line " + n + ": identity '" + f[0] + "' is bound twice (to '"
                        + m.get(f[0]) + "' and '" + f[1] + "'); an identity is one site");
            }
            m.put(f[0], f[1]);
        }
        if (m.isEmpty()) {
            throw new IllegalArgumentException(source + ": the allow-list binds no identity to a site");
        }
        return new AllowList(m);
    }

    /** The site {@code identity} is bound to, or null when it is not on the list. */
    public String siteOf(String identity) {
        return identity == null ? null : siteOf.get(identity);
    }

    public Map<String, String> bindings() {
        return siteOf;
    }

    public String format() {
        StringBuilder sb = new StringBuilder("# client certificate identity (subject CN)   site name\n");
        siteOf.forEach((id, site) -> sb.append(id).append(' ').append(site).append('\n'));
        return sb.toString();
    }
}
