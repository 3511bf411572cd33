package org.dmd.client.it;

import java.nio.file.Path;
import org.dmd.client.DmClient;
import org.dmd.client.cli.DmctlRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base of test classes that share one real daemon: started once per class, emptied (no
 * devices, no loop devices) before each test, so minors start at 0 in every test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EmptiedDaemonTest {

    @TempDir
    static Path dir;
    RealDaemon daemon;
    DmctlRunner dmctl;
    DmClient dm;

    @BeforeAll
    void start() throws Exception {
        daemon = RealDaemon.start(dir);
        dmctl = new DmctlRunner(daemon.socket());
        dm = daemon.client();
    }

    @AfterAll
    void stop() throws Exception {
        daemon.close();
    }

    @BeforeEach
    void empty() throws Exception {
        dm.removeAll(false);
        for (var loop : dm.loops().loops()) {
            dm.loopDetach(loop.device());
        }
    }
}
