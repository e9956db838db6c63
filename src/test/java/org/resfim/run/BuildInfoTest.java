package org.resfim.run;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class BuildInfoTest {
    private static ByteArrayInputStream props(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The commit recorded in the jar at build time, marked dirty when the build had uncommitted changes. */
    @Test
    void readsTheCommitTheBuildRecorded() {
        assertEquals("67eef6125fff7ac345a141aa78e2e69aa6f012bf",
                BuildInfo.recorded(props("git.commit.id.full=67eef6125fff7ac345a141aa78e2e69aa6f012bf\ngit.dirty=false\n")));
        assertEquals("abc-dirty", BuildInfo.recorded(props("git.commit.id.full=abc\ngit.dirty=true\n")));
        assertNull(BuildInfo.recorded(props("git.dirty=true\n")), "a build outside git records no commit");
        assertNull(BuildInfo.recorded(null));
    }
}
