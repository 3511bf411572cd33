package org.dmd.client;

import java.util.Map;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.dmd.core.control.Command;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Replies.Reply;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.Request;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A connection to dmd with one method per command, named like dmsetup's commands. Every method
 * returns the daemon's reply record or throws {@link DmException} carrying the daemon's errno and
 * message; connection problems are DmExceptions too (ENOENT "dmd is not running", EIO, EPROTO).
 *
 * <p>Thread-safe: calls may come from any thread and are carried out one at a time, in the order
 * they take {@code exchange}; the daemon answers a connection's requests strictly in order. A
 * call that waits in the daemon ({@link #waitEvent}, {@link #udevReleaseCookie}) therefore holds
 * the connection until it is answered: give such waits a client of their own. {@link #close()}
 * from another thread ends a waiting call with EIO. {@link #monitor} opens a separate connection.
 *
 * <p>Invariant: at most one request is outstanding on the connection; {@code exchange} guards the
 * write of a request and the read of its reply (and no lock is taken while holding it).
 */
public final class DmClient implements AutoCloseable {

    private final FrameChannel channel;
    /** Guards the request/reply exchange on {@code channel}. */
    private final ReentrantLock exchange = new ReentrantLock();
    private final AtomicLong nextId = new AtomicLong(1);

    private DmClient(FrameChannel channel) {
        this.channel = channel;
    }

    /** Connects to the default socket ({@code DMD_SOCKET}, else the daemon's default path). */
    public static DmClient connect() throws DmException {
        return connect(SocketPaths.resolve(null));
    }

    public static DmClient connect(Path socket) throws DmException {
        return new DmClient(FrameChannel.open(socket));
    }

    public Path socket() {
        return channel.path();
    }

    /** Sends any request and returns its reply, typed by the command. */
    public Reply execute(Request request) throws DmException {
        return execute(request, WireCodec.replyType(Command.of(request)));
    }

    private <R extends Reply> R execute(Request request, Class<R> type) throws DmException {
        long id = nextId.getAndIncrement();
        byte[] frame = WireCodec.encode(id, request);
        Map<String, Object> reply;
        exchange.lock();
        try {
            channel.write(frame);
            reply = WireCodec.parse(channel.read());
        } finally {
            exchange.unlock();
        }
        Object replyId = reply.get("id");
        if (replyId == null && reply.get("errno") instanceof Long errno && errno != 0) {
            // The daemon's answer to the connection rather than to a frame: EACCES for a peer it does not serve.
            return WireCodec.reply(reply, type);
        }
        if (!(replyId instanceof Long n) || n != id) {
            // Only a reply to an unusable frame carries id null; ours are well formed, so say what came back.
            throw new ConnectionException(Errno.EPROTO, "dmd answered request %d with id %s: %s", id, replyId,
                    reply.getOrDefault("message", ""));
        }
        return WireCodec.reply(reply, type);
    }

    // ------------------------------------------------------------------ dm-ioctl commands

    public Replies.DriverVersion version() throws DmException {
        return execute(new Requests.Version(), Replies.DriverVersion.class);
    }

    /** {@code dmsetup remove_all}; {@code deferred} marks open devices for removal on last close. */
    public Replies.RemoveAllDone removeAll(boolean deferred) throws DmException {
        return execute(new Requests.RemoveAll(flags(deferred ? DmFlag.DEFERRED_REMOVE : null)),
                Replies.RemoveAllDone.class);
    }

    /** {@code dmsetup ls}: every device with its number, event number and uuid. */
    public Replies.Names listDevices() throws DmException {
        return execute(new Requests.ListDevices(null, null, EnumSet.of(DmFlag.UUID)), Replies.Names.class);
    }

    /** DEV_CREATE of a device without a table. */
    public Replies.DeviceInfo create(String name) throws DmException {
        return create(name, null);
    }

    public Replies.DeviceInfo create(String name, String uuid) throws DmException {
        return create(new Requests.DevCreate(name, uuid, null, EnumSet.noneOf(DmFlag.class), 0));
    }

    /** DEV_CREATE with every field: a requested minor ({@code dev} + PERSISTENT_DEV), a cookie. */
    public Replies.DeviceInfo create(Requests.DevCreate request) throws DmException {
        return execute(request, Replies.DeviceInfo.class);
    }

    public Replies.Removed remove(String name) throws DmException {
        return remove(DeviceId.name(name));
    }

    /** DEV_REMOVE; {@code DEFERRED_REMOVE} among {@code flags} defers the removal of an open device. */
    public Replies.Removed remove(DeviceId id, DmFlag... flags) throws DmException {
        return execute(new Requests.DevRemove(id.name(), id.uuid(), id.dev(), flags(flags), 0), Replies.Removed.class);
    }

    /** DEV_RENAME: gives device {@code name} the name {@code newName}. */
    public Replies.DeviceInfo rename(String name, String newName) throws DmException {
        return execute(new Requests.DevRename(name, newName, null, flags(), 0), Replies.DeviceInfo.class);
    }

    /** DEV_RENAME with the UUID flag: sets the uuid of a device that has none. */
    public Replies.DeviceInfo setUuid(String name, String uuid) throws DmException {
        return execute(new Requests.DevRename(name, null, uuid, flags(DmFlag.UUID), 0), Replies.DeviceInfo.class);
    }

    public Replies.DeviceInfo suspend(String name) throws DmException {
        return suspend(DeviceId.name(name));
    }

    /** {@code NOFLUSH}, {@code SKIP_LOCKFS} may be added. */
    public Replies.DeviceInfo suspend(DeviceId id, DmFlag... flags) throws DmException {
        Set<DmFlag> all = flags(flags);
        all.add(DmFlag.SUSPEND);
        return execute(new Requests.DevSuspend(id.name(), id.uuid(), id.dev(), all, 0), Replies.DeviceInfo.class);
    }

    public Replies.DeviceInfo resume(String name) throws DmException {
        return resume(DeviceId.name(name));
    }

    /** Resumes, swapping in the inactive table if one is loaded. */
    public Replies.DeviceInfo resume(DeviceId id, DmFlag... flags) throws DmException {
        Set<DmFlag> all = flags(flags);
        all.remove(DmFlag.SUSPEND);
        return execute(new Requests.DevSuspend(id.name(), id.uuid(), id.dev(), all, 0), Replies.DeviceInfo.class);
    }

    /** Sends a resume or suspend with a cookie in {@code eventNr}, as libdm does. */
    public Replies.DeviceInfo devSuspend(Requests.DevSuspend request) throws DmException {
        return execute(request, Replies.DeviceInfo.class);
    }

    public Replies.DeviceInfo info(String name) throws DmException {
        return info(DeviceId.name(name));
    }

    /** DEV_STATUS; {@code QUERY_INACTIVE_TABLE} reports on the inactive table. */
    public Replies.DeviceInfo info(DeviceId id, DmFlag... flags) throws DmException {
        return execute(new Requests.DevStatus(id.name(), id.uuid(), id.dev(), flags(flags)), Replies.DeviceInfo.class);
    }

    /** Blocks until the device's event number differs from {@code eventNr} (see the class comment). */
    public Replies.TableLines waitEvent(DeviceId id, long eventNr, DmFlag... flags) throws DmException {
        return execute(new Requests.DevWait(id.name(), id.uuid(), id.dev(), flags(flags), eventNr),
                Replies.TableLines.class);
    }

    public Replies.DeviceInfo tableLoad(String name, List<TargetSpec> targets) throws DmException {
        return tableLoad(DeviceId.name(name), targets);
    }

    /** TABLE_LOAD into the inactive slot; {@code READONLY} makes a read-only table. */
    public Replies.DeviceInfo tableLoad(DeviceId id, List<TargetSpec> targets, DmFlag... flags) throws DmException {
        return execute(new Requests.TableLoad(id.name(), id.uuid(), id.dev(), flags(flags), List.copyOf(targets)),
                Replies.DeviceInfo.class);
    }

    public Replies.DeviceInfo clear(String name) throws DmException {
        return clear(DeviceId.name(name));
    }

    /** TABLE_CLEAR: drops the inactive table. */
    public Replies.DeviceInfo clear(DeviceId id) throws DmException {
        return execute(new Requests.TableClear(id.name(), id.uuid(), id.dev(), flags()), Replies.DeviceInfo.class);
    }

    public Replies.Deps deps(String name) throws DmException {
        return deps(DeviceId.name(name));
    }

    public Replies.Deps deps(DeviceId id, DmFlag... flags) throws DmException {
        return execute(new Requests.TableDeps(id.name(), id.uuid(), id.dev(), flags(flags)), Replies.Deps.class);
    }

    public Replies.TableLines status(String name) throws DmException {
        return status(DeviceId.name(name));
    }

    /** TABLE_STATUS: the status line of every target. */
    public Replies.TableLines status(DeviceId id, DmFlag... flags) throws DmException {
        Set<DmFlag> all = flags(flags);
        all.remove(DmFlag.STATUS_TABLE);
        return execute(new Requests.TableStatus(id.name(), id.uuid(), id.dev(), all), Replies.TableLines.class);
    }

    public Replies.TableLines table(String name) throws DmException {
        return table(DeviceId.name(name));
    }

    /** TABLE_STATUS with STATUS_TABLE: the table line of every target. */
    public Replies.TableLines table(DeviceId id, DmFlag... flags) throws DmException {
        Set<DmFlag> all = flags(flags);
        all.add(DmFlag.STATUS_TABLE);
        return execute(new Requests.TableStatus(id.name(), id.uuid(), id.dev(), all), Replies.TableLines.class);
    }

    /** LIST_VERSIONS: every registered target type, most recently registered first. */
    public Replies.TargetVersions targets() throws DmException {
        return execute(new Requests.ListVersions(), Replies.TargetVersions.class);
    }

    public Replies.TargetVersions targetVersion(String type) throws DmException {
        return execute(new Requests.GetTargetVersion(type), Replies.TargetVersions.class);
    }

    public Replies.MessageOutput message(String name, long sector, String message) throws DmException {
        return message(DeviceId.name(name), sector, message);
    }

    public Replies.MessageOutput message(DeviceId id, long sector, String message) throws DmException {
        return execute(new Requests.TargetMsg(id.name(), id.uuid(), id.dev(), flags(), sector, message),
                Replies.MessageOutput.class);
    }

    public Replies.Done setGeometry(DeviceId id, int cylinders, int heads, int sectors, long start)
            throws DmException {
        return setGeometry(id, cylinders + " " + heads + " " + sectors + " " + start);
    }

    /** {@code geometry} is {@code "CYLINDERS HEADS SECTORS START"}, checked by the daemon as the kernel does. */
    public Replies.Done setGeometry(DeviceId id, String geometry) throws DmException {
        return execute(new Requests.DevSetGeometry(id.name(), id.uuid(), id.dev(), flags(), geometry),
                Replies.Done.class);
    }

    public Replies.PollArmed armPoll() throws DmException {
        return execute(new Requests.DevArmPoll(), Replies.PollArmed.class);
    }

    // ------------------------------------------------------------------ dmd's own commands

    /** Opens the mapped block device as a process would; the open lasts until closed or this connection ends. */
    public Replies.BlockOpened blockOpen(DeviceId id) throws DmException {
        return execute(new Requests.BlockOpen(id.name(), id.uuid(), id.dev()), Replies.BlockOpened.class);
    }

    public Replies.Done blockClose(long handle) throws DmException {
        return execute(new Requests.BlockClose(handle), Replies.Done.class);
    }

    /** {@code losetup -f FILE}; the path is made absolute here, since the daemon's working directory is not ours. */
    public Replies.LoopInfo loopAttach(Path file, boolean readOnly) throws DmException {
        return execute(new Requests.LoopAttach(file.toAbsolutePath().normalize().toString(), readOnly),
                Replies.LoopInfo.class);
    }

    /** {@code losetup -d}: {@code /dev/loopN}, {@code loopN} or {@code 7:N}. */
    public Replies.Done loopDetach(String device) throws DmException {
        return execute(new Requests.LoopDetach(device), Replies.Done.class);
    }

    public Replies.Loops loops() throws DmException {
        return execute(new Requests.LoopList(), Replies.Loops.class);
    }

    public Replies.ModprobeDone modprobe(String module) throws DmException {
        return modprobe(new Requests.Modprobe(module, false, false));
    }

    /** {@code modprobe [-r] [--first-time] NAME}. */
    public Replies.ModprobeDone modprobe(Requests.Modprobe request) throws DmException {
        return execute(request, Replies.ModprobeDone.class);
    }

    public Replies.Modules lsmod() throws DmException {
        return execute(new Requests.Lsmod(), Replies.Modules.class);
    }

    /** Stops the daemon: EBUSY while devices exist, unless {@code force}. */
    public Replies.ShutdownDone shutdown(boolean force) throws DmException {
        return execute(new Requests.Shutdown(force), Replies.ShutdownDone.class);
    }

    // ------------------------------------------------------------------ udev cookies

    /** A new cookie; its low 16 bits identify it (libdm shows {@code 0x0D4D << 16 | cookie}). */
    public Replies.Cookie udevCreateCookie() throws DmException {
        return execute(new Requests.UdevCreateCookie(), Replies.Cookie.class);
    }

    public Replies.Done udevComplete(long cookie) throws DmException {
        return execute(new Requests.UdevComplete(cookie), Replies.Done.class);
    }

    /** Waits until every uevent of the cookie's transaction is processed (see the class comment). */
    public Replies.Done udevReleaseCookie(long cookie) throws DmException {
        return execute(new Requests.UdevReleaseCookie(cookie), Replies.Done.class);
    }

    public Replies.Cookies udevCookies() throws DmException {
        return execute(new Requests.UdevCookies(), Replies.Cookies.class);
    }

    public Replies.Done udevCompleteAll(long ageMinutes) throws DmException {
        return execute(new Requests.UdevCompleteAll(ageMinutes), Replies.Done.class);
    }

    // ------------------------------------------------------------------ monitoring

    /** Subscribes to uevents on a connection of its own; see {@link Subscription}. */
    public Subscription monitor(Consumer<MonitorEvent> listener) throws DmException {
        return monitor(false, listener);
    }

    /** Subscribes to uevents, and kernel messages if {@code kernelMessages}, on a connection of its own. */
    public Subscription monitor(boolean kernelMessages, Consumer<MonitorEvent> listener) throws DmException {
        return Subscription.start(channel.path(), kernelMessages, listener);
    }

    @Override
    public void close() {
        channel.close();
    }

    private static EnumSet<DmFlag> flags(DmFlag... flags) {
        EnumSet<DmFlag> set = EnumSet.noneOf(DmFlag.class);
        for (DmFlag flag : flags) {
            if (flag != null) {
                set.add(flag);
            }
        }
        return set;
    }
}
