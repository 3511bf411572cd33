package org.dmd.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.device.MappedDevice;
import org.dmd.daemon.testing.WireClient;

/** A daemon served in this JVM on a temporary socket, with its core at hand for checks. */
final class TestDaemon implements AutoCloseable {

    final DeviceMapper mapper;
    final ControlServer server;
    private final List<WireClient> clients = new ArrayList<>();

    private TestDaemon(DeviceMapper mapper, ControlServer server) {
        this.mapper = mapper;
        this.server = server;
    }

    static TestDaemon start(Path dir) throws StartupException {
        return start(dir, config -> config, StepHook.NONE);
    }

    /** A daemon on {@code DIR/dmd/control.sock}. */
    static TestDaemon start(Path dir, UnaryOperator<DaemonConfig.Builder> config, StepHook steps)
            throws StartupException {
        return startOn(dir.resolve("dmd").resolve("control.sock"), config, steps);
    }

    static TestDaemon startOn(Path socket, UnaryOperator<DaemonConfig.Builder> config, StepHook steps)
            throws StartupException {
        return startOn(socket, config, core -> core.steps(steps));
    }

    /** A daemon on {@code DIR/dmd/control.sock} whose core is configured by {@code core}. */
    static TestDaemon startWithCore(Path dir, UnaryOperator<DaemonConfig.Builder> config,
                                    UnaryOperator<DeviceMapper.Builder> core) throws StartupException {
        return startOn(dir.resolve("dmd").resolve("control.sock"), config, core);
    }

    private static TestDaemon startOn(Path socket, UnaryOperator<DaemonConfig.Builder> config,
                                      UnaryOperator<DeviceMapper.Builder> core) throws StartupException {
        DeviceMapper mapper = core.apply(DeviceMapper.builder()).build();
        DaemonConfig.Builder builder = DaemonConfig.builder(socket).shutdownGrace(Duration.ofSeconds(5));
        try {
            return new TestDaemon(mapper, ControlServer.start(config.apply(builder).build(), mapper));
        } catch (StartupException | RuntimeException e) {
            mapper.close();
            throw e;
        }
    }

    Path socket() {
        return server.socket();
    }

    /** A connected client, closed with the daemon. */
    WireClient client() throws IOException {
        WireClient client = WireClient.connect(socket());
        clients.add(client);
        return client;
    }

    /** A connected client that reads nothing until told to. */
    WireClient pausedClient() throws IOException {
        WireClient client = WireClient.connectPaused(socket());
        clients.add(client);
        return client;
    }

    /** The device with this minor, as the core sees it (no reference taken). */
    MappedDevice device(int minor) {
        return mapper.minors().snapshot().stream().filter(d -> d.minor() == minor).findFirst()
                .orElseThrow(() -> new AssertionError("no device with minor " + minor));
    }

    @Override
    public void close() throws IOException {
        for (WireClient client : clients) {
            client.close();
        }
        server.stop();
    }
}
