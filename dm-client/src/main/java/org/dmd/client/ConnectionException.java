package org.dmd.client;

import org.dmd.core.errno.Errno;
import org.dmd.core.errno.DmException;

/**
 * A failure of the connection to dmd rather than of a command: dmd is not running, the socket
 * refused us, the connection broke, or the daemon sent something that is not the protocol.
 */
public final class ConnectionException extends DmException {

    public ConnectionException(Errno errno, String format, Object... args) {
        super(errno, String.format(format, args));
    }
}
