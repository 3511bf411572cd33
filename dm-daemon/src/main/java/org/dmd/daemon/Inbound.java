package org.dmd.daemon;

import java.util.function.Supplier;
import org.dmd.core.control.Command;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;

/** What the decoding handlers pass on to the dispatcher, one per frame, in frame order. */
sealed interface Inbound permits Inbound.Call, Inbound.Refused, Inbound.Local {

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

    /**
     * A frame its protocol's codec answers itself (a binary extension command): the answer is
     * computed when its turn comes, on the event loop, and written as it is.
     */
    record Local(Supplier<Object> answer) implements Inbound {
    }
}
