package org.dmd.daemon;

import org.dmd.core.control.Command;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;

/** What the decoding handlers pass on to the dispatcher, one per frame, in frame order. */
sealed interface Inbound permits Inbound.Call, Inbound.Refused {

    /** A well-formed request. */
    record Call(long id, Command command, Request request) implements Inbound {
    }

    /**
     * A frame that is answered with an error without executing anything.
     *
     * @param id         the request's id, or null when it could not be read
     * @param closeAfter the connection closes once this error is written (the stream cannot be resynchronised)
     */
    record Refused(Long id, DmException error, boolean closeAfter) implements Inbound {
    }
}
