package org.resfim.transport;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Revoked certificates: one a line, {@code sha256:FINGERPRINT} (a certificate) or {@code cn:IDENTITY} (every
 * certificate with that subject CN); {@code #} starts a comment. The server re-reads the file when it changes:
 * a revoked certificate's live session is closed and its connections refused, without a restart.
 */
public record DenyList(Set<String> fingerprints, Set<String> identities) {
    public static final DenyList EMPTY = new DenyList(Set.of(), Set.of());

    public DenyList {
        fingerprints = Set.copyOf(fingerprints);
        identities = Set.copyOf(identities);
    }

    public static DenyList parse(List<String> lines, String source) {
        Set<String> fps = new LinkedHashSet<>();
        Set<String> ids = new LinkedHashSet<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = (raw.contains("#") ? raw.substring(0, raw.indexOf('#')) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("cn:")) {
                ids.add(line.substring(3).strip());
            } else {
                try {
                    fps.add(AllowList.normalise(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(source + " line " + n + ": " + e.getMessage() + "; or write cn:IDENTITY");
                }
            }
        }
        return new DenyList(fps, ids);
    }

    /** Why a certificate is revoked, or null. */
    public String refusal(String identity, String fingerprint) {
        if (fingerprint != null && fingerprints.contains(fingerprint)) {
            return "certificate sha256:" + AllowList.shortPrint(fingerprint) + " (identity " + LogText.quote(identity) + ") is revoked (deny-list)";
        }
        if (identity != null && identities.contains(identity)) {
            return "certificate identity " + LogText.quote(identity) + " is revoked (deny-list)";
        }
        return null;
    }
}
