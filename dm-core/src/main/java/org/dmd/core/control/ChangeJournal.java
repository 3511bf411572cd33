package org.dmd.core.control;

import java.util.concurrent.CompletableFuture;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;

/**
 * Where a {@link ControlSession} sends every request once a state journal is attached
 * ({@link DeviceMapper#journalTo}): the journal runs the request's dispatch itself, so that it can
 * serialise the commands that change state and hold their replies until they are durable.
 * Implemented by {@code org.dmd.core.journal.StateJournal}.
 */
public interface ChangeJournal {

    /**
     * Runs {@code dispatch} for {@code request}. A request that changes state succeeds only once
     * its record is durable: the returned future completes then, or with ENOSPC (nothing applied)
     * or EIO (the journal failed; the outcome is unknown).
     */
    CompletableFuture<Reply> execute(Request request, Dispatch dispatch) throws DmException;

    /** The session's own execution of the request. */
    @FunctionalInterface
    interface Dispatch {
        CompletableFuture<Reply> run() throws DmException;
    }
}
