package org.resfim.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

/**
 * The allow-list and the deny-list the server checks every certificate against, re-read when their files change
 * (checked at each new stream and every few seconds): an operator revokes a certificate, or rebinds a site, without
 * restarting the server. A file that cannot be parsed leaves the lists in force as they were, and says why.
 */
public final class AccessLists {
    private final Path allowFile;
    private final Path denyFile;
    private volatile AllowList allow;
    private volatile DenyList deny = DenyList.EMPTY;
    private FileTime allowTime;
    private FileTime denyTime;
    private boolean denyPresent;

    private AccessLists(Path allowFile, Path denyFile, AllowList allow) {
        this.allowFile = allowFile;
        this.denyFile = denyFile;
        this.allow = allow;
    }

    /** Lists that never change (tests, or an allow-list given as an object). */
    public static AccessLists fixed(AllowList allow) {
        return new AccessLists(null, null, allow);
    }

    /**
     * Lists read from files: {@code allowFile} must exist; {@code denyFile} may be null or not exist yet (then nothing
     * is revoked until it does).
     */
    public static AccessLists files(Path allowFile, Path denyFile) {
        AccessLists a = new AccessLists(allowFile, denyFile, AllowList.read(allowFile));
        a.allowTime = mtime(allowFile);
        if (denyFile != null && Files.exists(denyFile)) {
            a.deny = readDeny(denyFile);
            a.denyTime = mtime(denyFile);
            a.denyPresent = true;
        }
        return a;
    }

    public AllowList allow() {
        return allow;
    }

    public DenyList deny() {
        return deny;
    }

    /** Why a certificate is not admitted now (revoked, or not allowed), or null. */
    public String refusal(String identity, String fingerprint) {
        String why = deny.refusal(identity, fingerprint);
        return why != null ? why : allow.refusal(identity, fingerprint);
    }

    /** Re-reads whichever file changed; returns true when the lists changed. */
    public synchronized boolean refresh(EventLog log) {
        boolean changed = false;
        if (allowFile != null) {
            FileTime t = mtime(allowFile);
            if (t != null && !t.equals(allowTime)) {
                allowTime = t;
                try {
                    allow = AllowList.read(allowFile);
                    changed = true;
                    log.info("allow-list " + allowFile + " reloaded: " + allow.bindings().size() + " identities");
                } catch (RuntimeException e) {
                    log.warn("allow-list " + allowFile + " not reloaded, the previous one stays in force: " + e.getMessage());
                }
            }
        }
        if (denyFile != null) {
            boolean present = Files.exists(denyFile);
            FileTime t = present ? mtime(denyFile) : null;
            if (present != denyPresent || (t != null && !t.equals(denyTime))) {
                denyPresent = present;
                denyTime = t;
                try {
                    deny = present ? readDeny(denyFile) : DenyList.EMPTY;
                    changed = true;
                    log.info("deny-list " + denyFile + " reloaded: " + deny.fingerprints().size() + " certificates and "
                            + deny.identities().size() + " identities revoked");
                } catch (RuntimeException e) {
                    log.warn("deny-list " + denyFile + " not reloaded, the previous one stays in force: " + e.getMessage());
                }
            }
        }
        return changed;
    }

    private static DenyList readDeny(Path f) {
        try {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            return DenyList.parse(lines, f.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static FileTime mtime(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return null;
        }
    }
}
