package org.resfim.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The allow- and deny-list files (#17 item 4): formats, fingerprints, reloading and a bad edit. */
class AccessListsTest {
    private static final String FP = "ab".repeat(32);
    private static final String OTHER = "cd".repeat(32);

    @Test
    void anIdentityCanBeBoundToItsCertificatesAndTheFormatRoundTrips() {
        AllowList a = AllowList.parse(List.of("# x", "a site-a sha256:" + FP.toUpperCase(), "b site-b", "c site-c " + OTHER.replaceAll("(..)", "$1:")
                .substring(0, 95)), "allow");
        assertNull(a.refusal("a", FP));
        assertTrue(a.refusal("a", OTHER).contains("bound to another certificate"), a.refusal("a", OTHER));
        assertNull(a.refusal("b", OTHER), "bound by name only");
        assertNull(a.refusal("c", OTHER));
        assertEquals(List.of("b"), a.unpinned());
        assertEquals(a.format(), AllowList.parse(a.format().lines().toList(), "again").format());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllowList.parse(List.of("a site-a sha256:12"), "allow"));
        assertTrue(e.getMessage().startsWith("allow line 1: 'sha256:12' is not a SHA-256 fingerprint"), e.getMessage());
    }

    @Test
    void theDenyListRevokesCertificatesOrNamesAndIsReReadWhenItChanges(@TempDir Path tmp) throws Exception {
        Path allow = tmp.resolve("allowlist.txt");
        Files.writeString(allow, "a a sha256:" + FP + "\nb b\n");
        Path deny = tmp.resolve("denylist.txt");
        AccessLists lists = AccessLists.files(allow, deny);
        EventLog log = new EventLog(null, "server");
        assertNull(lists.refusal("a", FP));
        assertFalse(lists.refresh(log), "nothing changed");

        Files.writeString(deny, "sha256:" + FP + "  # lost\ncn:b\n");
        assertTrue(lists.refresh(log));
        assertTrue(lists.refusal("a", FP).contains("is revoked (deny-list)"));
        assertEquals("certificate identity 'b' is revoked (deny-list)", lists.refusal("b", OTHER));

        // a broken edit keeps the lists in force and says why
        Files.writeString(deny, "not a fingerprint\n");
        Files.setLastModifiedTime(deny, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertFalse(lists.refresh(log));
        assertTrue(log.contains("not reloaded, the previous one stays in force"), String.join("\n", log.lines()));
        assertNotNull(lists.refusal("b", OTHER));

        Files.delete(deny);
        assertTrue(lists.refresh(log));
        assertNull(lists.refusal("a", FP));
    }
}
