package org.dmd.core.journal;

import java.util.List;
import org.dmd.core.control.Requests.Request;

/**
 * One journal record: a request that succeeded, re-runnable, with the kernel's choices made
 * explicit so that running it again on the replayed state does the same thing.
 *
 * <ul>
 * <li>{@code request}: as the client sent it, but a DEV_CREATE carries the minor it was given
 * (PERSISTENT_DEV), and udev cookies are dropped (cookies are not journaled); null for the end
 * marker of a snapshot;</li>
 * <li>{@code loop}: the loop minor a LOOP_ATTACH was given, else -1;</li>
 * <li>{@code removed}: the names a REMOVE_ALL or a forced SHUTDOWN removed;</li>
 * <li>{@code events}: devices' event numbers after the request, to restore;</li>
 * <li>{@code globalEventNr}: the global event counter after the request.</li>
 * </ul>
 *
 * @param seq the record's sequence number: journal order, which is apply order
 */
public record Entry(long seq, Request request, int loop, List<String> removed, List<EventNr> events,
                    long globalEventNr) {

    public Entry {
        removed = List.copyOf(removed);
        events = List.copyOf(events);
    }

    /** A request with no choices to record. */
    static Entry of(long seq, Request request) {
        return new Entry(seq, request, -1, List.of(), List.of(), 0);
    }

    /** A device (by MAJ:MIN, stable across replay) and its event number. */
    public record EventNr(String dev, long eventNr) {
    }
}
