package org.dmd.core.control;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * One open of the control node: what a process holding /dev/mapper/control has. It executes
 * requests against the {@link DeviceMapper}, remembers the global event counter armed by
 * DEV_ARM_POLL, and owns the block-device opens made through it — closing the session closes
 * them, as process exit closes its file descriptors.
 *
 * <p>Guarded by {@code this}: the open handles, the pending replies and the closed flag. Opens are
 * closed and replies cancelled outside it.
 */
public final class ControlSession implements AutoCloseable {

    private final DeviceMapper dm;
    /** Guarded by this. */
    private final Map<Long, OpenDevice> opens = new HashMap<>();
    /** Guarded by this. */
    private long nextHandle = 1;
    /** Replies still pending (DEV_WAIT, cookie releases). Guarded by this. */
    private final Set<CompletableFuture<Reply>> waiting = new HashSet<>();
    /** Guarded by this. */
    private boolean closed;
    private volatile long armedEventNr;

    ControlSession(DeviceMapper dm) {
        this.dm = dm;
        this.armedEventNr = dm.globalEventNr();
    }

    /**
     * Executes one request. Most commands complete before this returns (and may block briefly);
     * DEV_WAIT and UDEV_RELEASE_COOKIE complete later. Failures complete the future exceptionally
     * with a {@link DmException}. MONITOR is the transport's to serve: ENOTTY here. With a state
     * journal attached, the journal runs the request and a state change's reply waits for its record
     * to be durable.
     */
    public CompletableFuture<Reply> execute(Request request) {
        ChangeJournal journal = dm.journal();
        try {
            return journal == null ? dispatch(request) : journal.execute(request, () -> dispatch(request));
        } catch (DmException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<Reply> dispatch(Request request) throws DmException {
        Command command = Command.of(request);
        return switch (command) {
            case VERSION -> done(dm.version());
            case REMOVE_ALL -> done(dm.removeAll((Requests.RemoveAll) request));
            case LIST_DEVICES -> done(dm.listDevices((Requests.ListDevices) request));
            case DEV_CREATE -> done(dm.devCreate((Requests.DevCreate) request));
            case DEV_REMOVE -> done(dm.devRemove((Requests.DevRemove) request));
            case DEV_RENAME -> done(dm.devRename((Requests.DevRename) request));
            case DEV_SUSPEND -> done(dm.devSuspend((Requests.DevSuspend) request));
            case DEV_STATUS -> done(dm.devStatus((Requests.DevStatus) request));
            case DEV_WAIT -> pending(dm.devWait((Requests.DevWait) request), true);
            case TABLE_LOAD -> done(dm.tableLoad((Requests.TableLoad) request));
            case TABLE_CLEAR -> done(dm.tableClear((Requests.TableClear) request));
            case TABLE_DEPS -> done(dm.tableDeps((Requests.TableDeps) request));
            case TABLE_STATUS -> done(dm.tableStatus((Requests.TableStatus) request));
            case LIST_VERSIONS -> done(dm.listVersions());
            case TARGET_MSG -> done(dm.targetMsg((Requests.TargetMsg) request));
            case DEV_SET_GEOMETRY -> done(dm.devSetGeometry((Requests.DevSetGeometry) request));
            case DEV_ARM_POLL -> done(armPoll());
            case GET_TARGET_VERSION -> done(dm.getTargetVersion((Requests.GetTargetVersion) request));
            case BLOCK_OPEN -> done(blockOpen((Requests.BlockOpen) request));
            case BLOCK_CLOSE -> done(blockClose(((Requests.BlockClose) request).handle()));
            case LOOP_ATTACH -> done(dm.loopAttach((Requests.LoopAttach) request));
            case LOOP_DETACH -> done(dm.loopDetach((Requests.LoopDetach) request));
            case LOOP_LIST -> done(dm.loopList());
            case MODPROBE -> done(dm.modprobe((Requests.Modprobe) request));
            case LSMOD -> done(dm.lsmod());
            case SHUTDOWN -> done(dm.shutdown(((Requests.Shutdown) request).force()));
            case UDEV_CREATE_COOKIE -> done(new Replies.Cookie(dm.cookies().create()));
            case UDEV_COMPLETE -> {
                dm.cookies().complete(((Requests.UdevComplete) request).cookie());
                yield done(new Replies.Done());
            }
            // The cookie's future is shared by every waiter on it: cancelling this one only detaches it.
            case UDEV_RELEASE_COOKIE -> pending(dm.cookies().release(((Requests.UdevReleaseCookie) request).cookie())
                    .thenApply(ignored -> new Replies.Done()), false);
            case UDEV_COOKIES -> done(cookies());
            case UDEV_COMPLETE_ALL -> {
                dm.cookies().completeAll(Duration.ofMinutes(((Requests.UdevCompleteAll) request).ageMinutes()));
                yield done(new Replies.Done());
            }
            case MONITOR -> throw new DmException(Errno.ENOTTY, "MONITOR streams events and is served by the transport");
        };
    }

    private static CompletableFuture<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    /**
     * A reply that completes later. Closing the session cancels it; with {@code cancelsWork},
     * cancelling it also cancels the work behind it (a DEV_WAIT waiter then drops its reference).
     */
    private CompletableFuture<Reply> pending(CompletableFuture<? extends Reply> work, boolean cancelsWork) {
        CompletableFuture<Reply> reply = work.thenApply(Reply.class::cast);
        boolean sessionClosed;
        synchronized (this) {
            sessionClosed = closed;
            if (!sessionClosed) {
                waiting.add(reply);
            }
        }
        reply.whenComplete((ignored, failure) -> {
            if (cancelsWork && reply.isCancelled()) {
                work.cancel(false);
            }
            synchronized (this) {
                waiting.remove(reply);
            }
        });
        if (sessionClosed) {
            reply.cancel(false);
        }
        return reply;
    }

    private Replies.PollArmed armPoll() {
        long now = dm.globalEventNr();
        armedEventNr = now;
        return new Replies.PollArmed(now);
    }

    /** True when the global event counter moved since the last DEV_ARM_POLL ({@code poll()} readable). */
    public boolean pollReadable() {
        return dm.globalEventNr() != armedEventNr;
    }

    private Replies.Cookies cookies() {
        List<Replies.CookieInfo> out = new ArrayList<>();
        dm.cookies().list().forEach(c -> out.add(new Replies.CookieInfo(c.cookie(), c.value(), c.createdEpochMillis())));
        return new Replies.Cookies(out);
    }

    // ------------------------------------------------------------------ block opens

    private Replies.BlockOpened blockOpen(Requests.BlockOpen request) throws DmException {
        OpenDevice open = dm.blockOpen(request);
        long handle;
        synchronized (this) {
            if (!closed) {
                handle = nextHandle++;
                opens.put(handle, open);
                open = null;
            } else {
                handle = -1;
            }
        }
        if (open != null) {
            open.close();
            throw new DmException(Errno.EBADF, "the session is closed");
        }
        return new Replies.BlockOpened(handle, dm.devStatus(new Requests.DevStatus(request.name(), request.uuid(),
                request.dev(), null)));
    }

    private Replies.Done blockClose(long handle) throws DmException {
        OpenDevice open;
        synchronized (this) {
            open = opens.remove(handle);
        }
        if (open == null) {
            throw new DmException(Errno.EBADF, "no open device with handle %d on this session", handle);
        }
        open.close();
        return new Replies.Done();
    }

    /** Closes every block-device open of this session (the session stays usable). */
    void closeOpens() {
        List<OpenDevice> toClose;
        synchronized (this) {
            toClose = new ArrayList<>(opens.values());
            opens.clear();
        }
        toClose.forEach(OpenDevice::close);
    }

    /**
     * Ends the session: its pending waits are cancelled and its block-device opens closed
     * (possibly running deferred removals).
     */
    @Override
    public void close() {
        List<CompletableFuture<Reply>> cancelled;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            cancelled = new ArrayList<>(waiting);
        }
        cancelled.forEach(reply -> reply.cancel(false));
        closeOpens();
        dm.sessionClosed(this);
    }
}
