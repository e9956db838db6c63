package org.resfim.transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which client certificate identities (subject common names) the server admits, the one site each is bound to,
 * and, where given, the certificates themselves: {@code IDENTITY SITE [sha256:FINGERPRINT ...]} a line ({@code #}
 * starts a comment). With fingerprints, only those certificates prove the identity (another certificate with the
 * same CN, even from the same CA, is refused); without, any valid certificate of the CA with that CN does. An
 * identity appears once; a site may have several identities, an identity several fingerprints (rotation).
 */
public final class AllowList {
    private final Map<String, String> siteOf;
    private final Map<String, Set<String>> fingerprints;

    public AllowList(Map<String, String> identityToSite) {
        this(identityToSite, Map.of());
    }

    public AllowList(Map<String, String> identityToSite, Map<String, ? extends Set<String>> fingerprints) {
        this.siteOf = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(identityToSite));
        Map<String, Set<String>> f = new LinkedHashMap<>();
        fingerprints.forEach((k, v) -> {
            Set<String> n = new LinkedHashSet<>();
            v.forEach(x -> n.add(normalise(x)));
            f.put(k, java.util.Collections.unmodifiableSet(n));
        });
        this.fingerprints = java.util.Collections.unmodifiableMap(f);
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
        Map<String, Set<String>> fps = new LinkedHashMap<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')) : raw;
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length < 2) {
                throw new IllegalArgumentException(source + " line " + n + ": expected 'IDENTITY SITE [sha256:FINGERPRINT ...]', got '"
                        + LogText.clean(raw.strip(), LogText.NAME) + "'");
            }
            if (m.containsKey(f[0])) {
                throw new IllegalArgumentException(source + " line " + n + ": identity '" + f[0] + "' is bound twice (to '"
                        + m.get(f[0]) + "' and '" + f[1] + "'); an identity is one site");
            }
            m.put(f[0], f[1]);
            for (int i = 2; i < f.length; i++) {
                try {
                    fps.computeIfAbsent(f[0], k -> new LinkedHashSet<>()).add(normalise(f[i]));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source + " line " + n + ": " + e.getMessage());
                }
            }
        }
        if (m.isEmpty()) {
            throw new IllegalArgumentException(source + ": the allow-list binds no identity to a site");
        }
        return new AllowList(m, fps);
    }

    /** The site {@code identity} is bound to, or null when it is not on the list. */
    public String siteOf(String identity) {
        return identity == null ? null : siteOf.get(identity);
    }

    /** The fingerprints {@code identity} is bound to (empty: any certificate with that name from the CA). */
    public Set<String> fingerprints(String identity) {
        return fingerprints.getOrDefault(identity, Set.of());
    }

    /** Why a certificate with {@code identity} and {@code fingerprint} is not admitted, or null when it is. */
    public String refusal(String identity, String fingerprint) {
        if (siteOf(identity) == null) {
            return "certificate identity " + LogText.quote(identity) + " is not on the allow-list";
        }
        Set<String> bound = fingerprints(identity);
        if (!bound.isEmpty() && !bound.contains(fingerprint)) {
            return "certificate identity " + LogText.quote(identity) + " is bound to another certificate (this one is sha256:"
                    + shortPrint(fingerprint) + ")";
        }
        return null;
    }

    public Map<String, String> bindings() {
        return siteOf;
    }

    /** Identities bound by name only (no fingerprint). */
    public List<String> unpinned() {
        List<String> out = new ArrayList<>();
        siteOf.keySet().forEach(id -> {
            if (fingerprints(id).isEmpty()) {
                out.add(id);
            }
        });
        return out;
    }

    public String format() {
        StringBuilder sb = new StringBuilder("# client certificate identity (subject CN)   site name   [sha256:certificate fingerprint ...]\n");
        siteOf.forEach((id, site) -> {
            sb.append(id).append(' ').append(site);
            fingerprints(id).forEach(fp -> sb.append(" sha256:").append(fp));
            sb.append('\n');
        });
        return sb.toString();
    }

    /** SHA-256 of a certificate's DER encoding, lower-case hex: what the allow- and deny-lists name it by. */
    public static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fingerprint as written ({@code sha256:AB:CD…}, any case) in its canonical form (64 lower-case hex digits). */
    static String normalise(String written) {
        String s = written.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("sha256:")) {
            s = s.substring(7);
        }
        s = s.replace(":", "");
        if (!s.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("'" + LogText.clean(written, 80) + "' is not a SHA-256 fingerprint (sha256: and 64 hex digits)");
        }
        return s;
    }

    static String shortPrint(String fingerprint) {
        return fingerprint == null ? "?" : fingerprint.substring(0, Math.min(16, fingerprint.length()));
    }
}
