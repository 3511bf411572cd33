package org.dmd.client.it;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dmd.client.DmClient;
import org.dmd.core.errno.DmException;
import org.dmd.daemon.testing.DaemonProcess;

/**
 * dmd started as users start it — a separate JVM on its own socket — for the integration tests;
 * one per test class where isolation allows. Closing it stops the daemon and checks its log for
 * work left behind (commands still running when it stopped).
 */
final class RealDaemon implements AutoCloseable {

    private final DaemonProcess process;
    private final List<DmClient> clients = new ArrayList<>();

    private RealDaemon(DaemonProcess process) {
        this.process = process;
    }

    /** A daemon with block major 253 (the tests' expected output has it) unless {@code options} give one. */
    static RealDaemon start(Path directory, String... options) throws Exception {
        List<String> all = new ArrayList<>(List.of(options));
        if (!all.contains("--major")) {
            all.addAll(List.of("--major", "253"));
        }
        return new RealDaemon(DaemonProcess.start(directory.resolve("run").resolve("control.sock"),
                all.toArray(String[]::new)));
    }

    Path socket() {
        return process.socket();
    }

    /** A client closed with the daemon. */
    synchronized DmClient client() throws DmException {
        DmClient client = DmClient.connect(socket());
        clients.add(client);
        return client;
    }

    String log() {
        return process.output();
    }

    DaemonProcess process() {
        return process;
    }

    @Override
    public void close() throws Exception {
        synchronized (this) {
            clients.forEach(DmClient::close);
        }
        if (process.process().isAlive()) {
            process.terminate();
        }
        String log = process.output();
        assertFalse(log.contains("commands still running"), "dmd stopped with commands running:\n" + log);
        assertFalse(log.contains("ignored the interrupt"), log);
    }
}
