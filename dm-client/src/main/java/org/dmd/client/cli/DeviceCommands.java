package org.dmd.client.cli;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.dmd.client.DeviceId;
import org.dmd.client.NameMangling;
import org.dmd.client.format.DmInfo;
import org.dmd.client.format.InfoFormat;
import org.dmd.core.control.DmFlag;
import org.dmd.core.control.Replies;
import org.dmd.core.control.Requests;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The commands that change devices: create, remove, remove_all, suspend, resume, load/reload,
 * clear, wipe_table, rename, message, wait, setgeometry, mknodes — each issuing the ioctl
 * sequence of dmsetup.c's command and failing with libdm's messages. Each returns true on success.
 */
final class DeviceCommands {

    /** libdm retries a busy remove this often with --retry, 0.2 s apart. */
    private static final int REMOVE_ATTEMPTS = 25;
    private static final long REMOVE_RETRY_DELAY_MS = 200;

    private final Session s;

    DeviceCommands(Session session) {
        this.s = session;
    }

    // ------------------------------------------------------------------ create

    boolean create(List<String> args) {
        if (s.options.concise) {
            if (args.size() > 1) {
                s.error("dmsetup create --concise takes at most one argument");
                return false;
            }
            return createConcise(args);
        }
        if (args.isEmpty()) {
            s.error("Please provide a name for the new device.");
            return false;
        }
        List<TargetSpec> table = List.of();
        if (!s.options.notable) {
            try {
                table = TableInput.read(s.options.table, args.size() == 2 ? args.get(1) : null, s.in);
            } catch (TableInput.BadTable e) {
                s.error(e.getMessage());
                return false;
            }
        }
        String dev = null;
        if (s.options.minor != null) {
            dev = (s.options.major == null ? 0 : Session.atoi(s.options.major)) + ":" + Session.atoi(s.options.minor);
        }
        return createOne(args.get(0), s.options.uuid, dev, s.options.readOnly, table);
    }

    /** dmsetup's _create_one_device with libdm's create-and-load: create, load by number, resume; revert on failure. */
    private boolean createOne(String name, String uuid, String dev, boolean readOnly, List<TargetSpec> table) {
        if (name.indexOf('/') >= 0) {
            s.error("Name \"" + name + "\" invalid. It contains \"/\".");
            return false;
        }
        String sentName;
        String sentUuid = null;
        try {
            sentName = NameMangling.mangleName(name, s.mangling);
            if (uuid != null) {
                sentUuid = NameMangling.mangleUuid(uuid, s.mangling);
            }
        } catch (DmException e) {
            s.error(e.getMessage());
            return false;
        }
        EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
        if (dev != null) {
            flags.add(DmFlag.PERSISTENT_DEV);
        }
        long eventNr = s.eventNr(false);
        Requests.DevCreate request = new Requests.DevCreate(sentName, sentUuid, dev, flags, eventNr);
        Replies.DeviceInfo created = s.call("create", new Session.Target(sentName, sentUuid, dev),
                c -> c.create(request));
        if (created == null) {
            return false;
        }
        Replies.DeviceInfo last = created;
        if (!table.isEmpty()) {
            DmFlag[] loadFlags = readOnly ? new DmFlag[] {DmFlag.PERSISTENT_DEV, DmFlag.READONLY}
                    : new DmFlag[] {DmFlag.PERSISTENT_DEV};
            DeviceId byNumber = DeviceId.dev(created.dev());
            Replies.DeviceInfo loaded = s.call("reload", new Session.Target(sentName, null, created.dev()),
                    c -> c.tableLoad(byNumber, table, loadFlags));
            if (loaded == null) {
                revertCreate(sentName);
                return false;
            }
            long resumeCookie = s.eventNr(true);
            Replies.DeviceInfo resumed = s.call("resume", new Session.Target(sentName, null, null),
                    c -> c.devSuspend(new Requests.DevSuspend(sentName, null, null, EnumSet.noneOf(DmFlag.class),
                            resumeCookie)));
            if (resumed == null) {
                revertCreate(sentName);
                return false;
            }
            last = resumed;
        }
        s.result(s.forJson(last));
        return s.verbosity() == 0 || displayInfo(last);
    }

    private void revertCreate(String sentName) {
        long cookie = s.eventNr(true);
        Replies.Removed removed = s.call("remove", new Session.Target(sentName, null, null),
                c -> (Replies.Removed) c.execute(new Requests.DevRemove(sentName, null, null,
                        EnumSet.noneOf(DmFlag.class), cookie)));
        if (removed == null) {
            s.error("Failed to revert device creation.");
        }
    }

    private boolean createConcise(List<String> args) {
        if (s.options.table != null || s.options.minor != null || s.options.uuid != null || s.options.notable
                || s.options.inactive) {
            s.error("--concise is incompatible with --[no]table, --minor, --uuid and --inactive.");
            return false;
        }
        String text;
        if (!args.isEmpty()) {
            text = args.get(0);
        } else {
            try {
                text = new String(s.in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                s.error("Read from stdin aborted: " + e.getMessage());
                return false;
            }
        }
        return TableInput.parseConcise(text, device -> {
            List<TargetSpec> table;
            try {
                table = TableInput.parse(device.table(), "");
            } catch (TableInput.BadTable e) {
                s.error(e.getMessage());
                return false;
            }
            String dev = device.minor().isEmpty() ? null : "0:" + Session.atoi(device.minor());
            return createOne(device.name(), device.uuid().isEmpty() ? null : device.uuid(), dev,
                    device.flags().equals("ro"), table);
        }, s::error);
    }

    // ------------------------------------------------------------------ remove, remove_all, wipe_table

    boolean remove(String name) {
        if (s.options.force && name != null) {
            errorDevice(name);
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
        if (s.options.deferred) {
            flags.add(DmFlag.DEFERRED_REMOVE);
        }
        long cookie = s.eventNr(true);
        Requests.DevRemove request = new Requests.DevRemove(id.name(), id.uuid(), id.dev(), flags, cookie);
        for (int attempt = 1; ; attempt++) {
            try {
                Replies.Removed removed = (Replies.Removed) s.client().execute(request);
                s.result(removed);
                return true;
            } catch (org.dmd.client.ConnectionException e) {
                throw new Session.Abort(e.getMessage());
            } catch (DmException e) {
                s.ioctlFailed("remove", Session.Target.of(id), e);
                if (!s.options.retry || e.errno() != Errno.EBUSY || attempt >= REMOVE_ATTEMPTS) {
                    return false;
                }
                pause();
            }
        }
    }

    /** The pause between retries of a busy remove: part of the command's behaviour, not of any test. */
    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(REMOVE_RETRY_DELAY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** wipe_table: load a single error target over the whole device and resume it. */
    boolean errorDevice(String name) {
        if (name == null || name.isEmpty()) {
            s.error("No device specified.");
            return false;
        }
        DeviceId id = s.named(name);
        if (id == null) {
            return false;
        }
        Session.Target target = Session.Target.of(id);
        DmFlag[] query = s.options.inactive ? new DmFlag[] {DmFlag.QUERY_INACTIVE_TABLE} : new DmFlag[0];
        Replies.TableLines lines = s.call("table", target, c -> c.table(id, query));
        long size = 0;
        if (lines != null) {
            for (Replies.TargetLine line : lines.targets()) {
                size += line.length();
            }
        }
        List<TargetSpec> errorTable = List.of(new TargetSpec(0, size, "error", ""));
        DmFlag[] loadFlags = s.options.readOnly ? new DmFlag[] {DmFlag.READONLY} : new DmFlag[0];
        if (s.call("reload", target, c -> c.tableLoad(id, errorTable, loadFlags)) == null) {
            return false;
        }
        if (s.options.force) {
            // Avoid hanging on a flush with --force, as dmsetup does.
            s.options.noLockFs = true;
            s.options.noFlush = true;
        }
        if (simple("resume", name, false) == null) {
            simple("clear", name, false);
            return false;
        }
        return true;
    }

    /** remove_all [-f]: REMOVE_ALL; with -f, wipe what is left open and try again. */
    boolean removeAll() {
        boolean deferred = s.options.deferred;
        Replies.RemoveAllDone done = s.call("remove_all", Session.Target.UNNAMED,
                c -> c.removeAll(deferred));
        if (done != null) {
            s.result(done);
        }
        if (!s.options.force) {
            return true;
        }
        List<Replies.NameEntry> left = list();
        if (left == null || left.isEmpty()) {
            return true;
        }
        for (Replies.NameEntry entry : left) {
            String name = s.shownName(entry.name());
            if (name != null) {
                errorDevice(name);
            }
        }
        s.call("remove_all", Session.Target.UNNAMED, c -> c.removeAll(deferred));
        left = list();
        if (left != null && !left.isEmpty()) {
            s.error("Unable to remove " + left.size() + " device(s).");
        }
        return true;
    }

    private List<Replies.NameEntry> list() {
        Replies.Names names = s.call("names", Session.Target.UNNAMED, c -> c.listDevices());
        return names == null ? null : names.devices();
    }

    // ------------------------------------------------------------------ suspend, resume, clear, wait

    boolean suspend(String name) {
        return simple("suspend", name, true) != null;
    }

    boolean resume(String name) {
        return simple("resume", name, true) != null;
    }

    boolean clear(String name) {
        return simple("clear", name, true) != null;
    }

    /**
     * dmsetup's _simple for suspend, resume and clear: the device, the switches' flags, a cookie
     * for resume; with -v and {@code display}, the info block of the reply.
     */
    private Replies.DeviceInfo simple(String op, String name, boolean display) {
        DeviceId id = s.device(name);
        if (id == null) {
            return null;
        }
        EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
        if (s.options.noFlush) {
            flags.add(DmFlag.NOFLUSH);
        }
        if (s.options.noLockFs) {
            flags.add(DmFlag.SKIP_LOCKFS);
        }
        if (s.options.inactive) {
            flags.add(DmFlag.QUERY_INACTIVE_TABLE);
        }
        Session.Target target = Session.Target.of(id);
        Replies.DeviceInfo reply;
        switch (op) {
            case "suspend":
                flags.add(DmFlag.SUSPEND);
                reply = s.call(op, target, c -> c.devSuspend(
                        new Requests.DevSuspend(id.name(), id.uuid(), id.dev(), flags, 0)));
                break;
            case "resume":
                long cookie = s.eventNr(true);
                reply = s.call(op, target, c -> c.devSuspend(
                        new Requests.DevSuspend(id.name(), id.uuid(), id.dev(), flags, cookie)));
                break;
            default:
                reply = s.call(op, target, c -> c.clear(id));
                break;
        }
        if (reply == null) {
            return null;
        }
        if (display) {
            s.result(s.forJson(reply));
            if (s.verbosity() > 0 && !displayInfo(reply)) {
                return null;
            }
        }
        return reply;
    }

    /** wait DEVICE [EVENT_NR]: returns once the device's event number differs. */
    boolean waitEvent(List<String> args) {
        String name = null;
        List<String> rest = args;
        if (!s.deviceBySwitch()) {
            if (args.isEmpty()) {
                s.error("No device specified.");
                return false;
            }
            name = args.get(0);
            rest = args.subList(1, args.size());
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        long eventNr = rest.isEmpty() ? 0 : Integer.toUnsignedLong(Session.atoi(rest.get(rest.size() - 1)));
        DmFlag[] flags = s.options.inactive ? new DmFlag[] {DmFlag.QUERY_INACTIVE_TABLE} : new DmFlag[0];
        Replies.TableLines reply = s.call("waitevent", Session.Target.of(id), c -> c.waitEvent(id, eventNr, flags));
        if (reply == null) {
            return false;
        }
        s.result(reply);
        return s.verbosity() == 0 || displayInfo(reply.device());
    }

    // ------------------------------------------------------------------ load, rename, message, setgeometry

    boolean load(List<String> args) {
        if (s.options.notable) {
            s.error("--notable only available when creating new device.");
            return false;
        }
        String name = null;
        List<String> rest = args;
        if (!s.deviceBySwitch()) {
            if (args.isEmpty()) {
                s.error("Please specify device.");
                return false;
            }
            name = args.get(0);
            rest = args.subList(1, args.size());
        } else if (args.size() > 1) {
            s.error("Too many command line arguments.");
            return false;
        }
        DeviceId id = s.device(name);
        if (id == null) {
            return false;
        }
        List<TargetSpec> table;
        try {
            table = TableInput.read(s.options.table, rest.isEmpty() ? null : rest.get(0), s.in);
        } catch (TableInput.BadTable e) {
            s.error(e.getMessage());
            return false;
        }
        EnumSet<DmFlag> flags = EnumSet.noneOf(DmFlag.class);
        if (s.options.readOnly) {
            flags.add(DmFlag.READONLY);
        }
        if (s.options.inactive) {
            flags.add(DmFlag.QUERY_INACTIVE_TABLE);
        }
        Replies.DeviceInfo loaded = s.call("reload", Session.Target.of(id),
                c -> c.tableLoad(id, table, flags.toArray(new DmFlag[0])));
        if (loaded == null) {
            return false;
        }
        s.result(s.forJson(loaded));
        return s.verbosity() == 0 || displayInfo(loaded);
    }

    boolean rename(List<String> args) {
        // The kernel finds the device to rename by its name only; -u/-j send no name, which it refuses.
        DeviceId id = s.device(args.size() == 2 ? args.get(0) : null);
        if (id == null) {
            return false;
        }
        String current = id.name();
        String wanted = args.get(args.size() - 1);
        String newName = null;
        String newUuid = null;
        try {
            if (s.options.setUuid) {
                newUuid = NameMangling.mangleUuid(wanted, s.mangling);
            } else {
                newName = NameMangling.mangleNewName(wanted, s.mangling);
            }
        } catch (DmException e) {
            s.error(e.getMessage());
            return false;
        }
        EnumSet<DmFlag> flags = s.options.setUuid ? EnumSet.of(DmFlag.UUID) : EnumSet.noneOf(DmFlag.class);
        if (s.options.inactive) {
            flags.add(DmFlag.QUERY_INACTIVE_TABLE);
        }
        Requests.DevRename request = new Requests.DevRename(current, newName, newUuid, flags, s.eventNr(true));
        Replies.DeviceInfo renamed = s.call("rename", Session.Target.of(id),
                c -> (Replies.DeviceInfo) c.execute(request));
        if (renamed == null) {
            return false;
        }
        s.result(s.forJson(renamed));
        return true;
    }

    /** A device named by the command's first word (or by -j/-m/-u) and the words after it. */
    private record Addressed(DeviceId id, List<String> rest) {
    }

    /** The device and the rest of the words; null, reported, if there is no such device. */
    private Addressed addressed(List<String> args) {
        boolean byWord = !s.deviceBySwitch();
        DeviceId id = s.device(byWord ? args.get(0) : null);
        return id == null ? null : new Addressed(id, byWord ? args.subList(1, args.size()) : args);
    }

    boolean message(List<String> args) {
        Addressed addressed = addressed(args);
        if (addressed == null) {
            return false;
        }
        DeviceId id = addressed.id();
        List<String> rest = addressed.rest();
        Long sector = rest.isEmpty() ? null : parseSector(rest.get(0));
        if (sector == null) {
            s.error("Invalid sector.");
            return false;
        }
        List<String> words = rest.subList(1, rest.size());
        if (words.isEmpty()) {
            s.error("No message supplied.");
        }
        String text = String.join(" ", words);
        Replies.MessageOutput reply = s.call("message", Session.Target.of(id), c -> c.message(id, sector, text));
        if (reply == null) {
            return false;
        }
        s.result(reply);
        String response = reply.output();
        if (response != null) {
            s.print(response.isEmpty() || response.endsWith("\n") ? response : response + "\n");
        }
        return true;
    }

    /** strtoull base 10 with nothing after the digits (dmsetup's sector check). */
    private static Long parseSector(String text) {
        String t = text.stripLeading();
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        if (t.isEmpty() || !t.chars().allMatch(Character::isDigit)) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    boolean setGeometry(List<String> args) {
        Addressed addressed = addressed(args);
        if (addressed == null) {
            return false;
        }
        DeviceId id = addressed.id();
        List<String> rest = addressed.rest();
        if (rest.size() < 4) {
            s.error("Incorrect number of arguments.");
            return false;
        }
        String geometry = String.join(" ", rest.subList(0, 4));
        Replies.Done done = s.call("setgeometry", Session.Target.of(id), c -> c.setGeometry(id, geometry));
        if (done == null) {
            return false;
        }
        s.result(done);
        return true;
    }

    /**
     * mknodes: dmd's devices have no nodes to create or remove, so this only checks that the
     * devices named exist, as libdm's node pass queries them (a missing device is not an error).
     */
    boolean mknodes(String name) {
        if (name == null) {
            return list() != null;
        }
        DeviceId id = s.named(name);
        if (id == null) {
            return false;
        }
        Session.Outcome<Replies.DeviceInfo> info = s.query("mknodes", Session.Target.of(id), c -> c.info(id));
        return info.value() != null || info.missing();
    }

    // ------------------------------------------------------------------ shared

    /** -v: the long info block of a reply (a query result needs no second ioctl). */
    private boolean displayInfo(Replies.DeviceInfo reply) {
        DmInfo info = s.shown(reply);
        if (info == null) {
            return false;
        }
        StringBuilder out = new StringBuilder();
        InfoFormat.longForm(out, info);
        s.print(out);
        return true;
    }
}
