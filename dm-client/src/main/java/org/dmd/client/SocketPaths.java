package org.dmd.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where dmd's control socket is: an explicit path, else {@code DMD_SOCKET}, else the daemon's
 * default — {@code /run/dmd/control.sock} for root, {@code $XDG_RUNTIME_DIR/dmd/control.sock}
 * for everyone else, {@code /tmp/dmd-<uid>/control.sock} when that variable is unset.
 */
public final class SocketPaths {

    /** The environment variable that overrides the default socket. */
    public static final String ENV = "DMD_SOCKET";

    private SocketPaths() {
    }

    /** The socket to use: {@code explicit} if given, else from the process environment. */
    public static Path resolve(String explicit) {
        return resolve(explicit, System.getenv(), currentUid());
    }

    /** The socket to use for this environment and uid (separated out so it can be tested). */
    public static Path resolve(String explicit, Map<String, String> env, int uid) {
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit);
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Path.of(fromEnv);
        }
        if (uid == 0) {
            return Path.of("/run/dmd/control.sock");
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            return Path.of(runtime, "dmd", "control.sock");
        }
        return Path.of("/tmp", "dmd-" + uid, "control.sock");
    }

    /** The real uid of this process: the owner of {@code /proc/self}, which costs no JNI and no extra module. */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }
}
