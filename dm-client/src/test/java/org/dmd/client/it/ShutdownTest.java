package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.dmd.client.cli.DmctlRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dmctl shutdown}: refused while devices exist, forced it drops them and the daemon exits. */
class ShutdownTest {

    @TempDir
    Path dir;

    @Test
    void shutdownIsRefusedWhileDevicesExistUnlessForced() throws Exception {
        try (RealDaemon daemon = RealDaemon.start(dir)) {
            DmctlRunner dmctl = new DmctlRunner(daemon.socket());
            assertEquals(0, dmctl.run("create", "keep", "--table", "0 8 zero").status());
            DmctlRunner.Result refused = dmctl.run("shutdown");
            assertEquals(1, refused.status(), refused.toString());
            assertTrue(refused.err().startsWith("shutdown: "), refused.err());
            assertEquals(0, dmctl.run("info", "keep").status(), "nothing changed");

            DmctlRunner.Result forced = dmctl.run("shutdown", "--force", "-v");
            assertEquals(0, forced.status(), forced.toString());
            assertEquals("Removed keep\n", forced.out());
            assertEquals(0, daemon.process().awaitExit());
            DmctlRunner.Result gone = dmctl.run("info", "keep");
            assertEquals("dmd is not running (no socket at " + daemon.socket() + ")\n", gone.err());
        }
    }
}
