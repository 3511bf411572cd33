package org.dmd.core.journal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.dmd.core.control.ControlSession;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Applies entries to a {@link DeviceMapper} that has no journal attached yet: each request runs
 * again through a control session of its own, with the recorded choices (the loop minor, the
 * names a REMOVE_ALL removed), then the recorded event numbers are restored.
 *
 * <p>Confined to the starting thread.
 */
final class Replayer implements AutoCloseable {

    private final DeviceMapper dm;
    private final ControlSession session;

    Replayer(DeviceMapper dm) {
        if (dm.journal() != null) {
            throw new IllegalStateException("replay into a device-mapper that already journals");
        }
        this.dm = dm;
        this.session = dm.openSession();
    }

    void apply(Entry entry) throws DmException {
        Request request = entry.request();
        if (request instanceof Requests.LoopAttach attach) {
            dm.loopAttachAt(entry.loop(), attach);
        } else if (request instanceof Requests.RemoveAll || request instanceof Requests.Shutdown) {
            removeEach(entry.removed());
            if (request instanceof Requests.RemoveAll all && all.flags().contains(DmFlag.DEFERRED_REMOVE)) {
                // What is left was open; it was marked. Now only tables hold devices open: the rest goes.
                dm.removeAll(all);
            }
        } else if (request != null) {
            try {
                session.execute(request).join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof DmException failure) {
                    throw failure;
                }
                throw e;
            }
        }
        for (Entry.EventNr event : entry.events()) {
            try {
                dm.restoreEventNr(event.dev(), event.eventNr());
            } catch (DmException e) {
                if (e.errno() != Errno.ENXIO) {
                    throw e;
                }
                // Gone meanwhile by a deferred removal the replay made due: nothing to restore.
            }
        }
        dm.restoreGlobalEventNr(entry.globalEventNr());
    }

    /**
     * Removes the named devices, holders before the devices they hold (the recorded set is in
     * name order): a pass removes what it can, until none is left. A name already gone went by a
     * deferred removal the replay made due.
     */
    private void removeEach(List<String> names) throws DmException {
        List<String> left = new ArrayList<>(names);
        while (!left.isEmpty()) {
            DmException busy = null;
            boolean progress = false;
            for (Iterator<String> it = left.iterator(); it.hasNext(); ) {
                String name = it.next();
                try {
                    dm.devRemove(new Requests.DevRemove(name, null, null, EnumSet.noneOf(DmFlag.class), 0));
                    it.remove();
                    progress = true;
                } catch (DmException e) {
                    if (e.errno() == Errno.ENXIO) {
                        it.remove();
                        progress = true;
                    } else {
                        busy = e;
                    }
                }
            }
            if (!progress) {
                throw busy;
            }
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
