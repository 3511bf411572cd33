package org.dmd.daemon;

import io.netty.util.Version;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.dmd.core.control.DeviceMapper;

/** The versions the start line reports. */
final class Versions {

    private Versions() {
    }

    /** dmd's own version, as Maven built it. */
    static String dmd() {
        Properties properties = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("dmd.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            // Reported as unknown below.
        }
        return properties.getProperty("version", "unknown");
    }

    static String netty() {
        Version common = Version.identify().get("netty-common");
        return common == null ? "unknown" : common.artifactVersion();
    }

    static String startLine(java.nio.file.Path socket, String transport, String nbd, int major) {
        return String.format("dmd %s listening on %s (interface %s, Netty %s, transport %s, block major %d); NBD "
                + "exports on %s", dmd(), socket, DeviceMapper.VERSION, netty(), transport, major, nbd);
    }
}
