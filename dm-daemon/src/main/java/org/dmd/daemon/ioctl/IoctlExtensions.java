package org.dmd.daemon.ioctl;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.errno.DmException;

/**
 * dmd's own commands on the binary transport, numbered from 0x80000000 up (no dm-ioctl
 * {@code _IOC_NR} comes near): what the preload shim asks dmd that no ioctl answers. Each is a
 * handler from request payload to reply payload, registered by number; a number nobody
 * registered is answered ENOTTY like an unknown ioctl. Immutable once built; handlers run on the
 * connection's event loop, in request order, so they must not block.
 */
public final class IoctlExtensions {

    /** The first number of the extension range. */
    public static final int FIRST = 0x8000_0000;
    /** Empty request; the reply is {@code key=value} lines: {@code major}, {@code version}, {@code interface}. */
    public static final int DMD_INFO = 0x8000_0001;

    /** One extension command. */
    @FunctionalInterface
    public interface Handler {
        /**
         * The reply payload for {@code request}.
         *
         * @throws DmException to fail the command with that errno
         */
        byte[] answer(byte[] request) throws DmException;
    }

    private final Map<Integer, Handler> handlers;

    private IoctlExtensions(Map<Integer, Handler> handlers) {
        this.handlers = Map.copyOf(handlers);
    }

    /** True for a command number in the extension range (unsigned 0x80000000 and above). */
    public static boolean isExtension(int command) {
        return command < 0;
    }

    /** The handler registered for {@code command}, or null. */
    public Handler handler(int command) {
        return handlers.get(command);
    }

    /** The extensions every daemon has: {@link #DMD_INFO}. Add further ones to the builder. */
    public static Builder standard(DeviceMapper mapper, String dmdVersion) {
        byte[] info = String.format("major=%d%nversion=%s%ninterface=%s%n", mapper.major(), dmdVersion,
                DeviceMapper.VERSION).getBytes(StandardCharsets.US_ASCII);
        return new Builder().add(DMD_INFO, request -> info.clone());
    }

    /** Collects handlers; one per number. */
    public static final class Builder {
        private final Map<Integer, Handler> handlers = new HashMap<>();

        /** Registers {@code handler} for {@code command}, which must be in the extension range and still free. */
        public Builder add(int command, Handler handler) {
            if (!isExtension(command)) {
                throw new IllegalArgumentException(String.format("0x%x is below the extension range 0x%x",
                        command, FIRST));
            }
            if (handlers.putIfAbsent(command, handler) != null) {
                throw new IllegalArgumentException(String.format("extension 0x%x is registered twice", command));
            }
            return this;
        }

        public IoctlExtensions build() {
            return new IoctlExtensions(handlers);
        }
    }
}
