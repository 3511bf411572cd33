package org.dmd.daemon;

import org.dmd.core.control.Replies.Reply;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.Event;

/** What the daemon writes on a connection; {@link WireFormat} turns each into one JSON frame. */
sealed interface Outbound permits Outbound.Answer, Outbound.Failure, Outbound.Notice, Outbound.Dropped {

    /** A successful reply. */
    record Answer(long id, Reply reply) implements Outbound {
    }

    /** An error reply; {@code id} is null when the request's id could not be read. */
    record Failure(Long id, Errno errno, String message) implements Outbound {
    }

    /** A monitored event. */
    record Notice(Event event) implements Outbound {
    }

    /** A monitoring connection missed {@code count} events because it read too slowly. */
    record Dropped(long count) implements Outbound {
    }
}
