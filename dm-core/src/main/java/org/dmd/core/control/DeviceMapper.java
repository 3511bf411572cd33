package org.dmd.core.control;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.control.Replies.Deps;
import org.dmd.core.control.Replies.DeviceInfo;
import org.dmd.core.control.Replies.DriverVersion;
import org.dmd.core.control.Replies.MessageOutput;
import org.dmd.core.control.Replies.NameEntry;
import org.dmd.core.control.Replies.Names;
import org.dmd.core.control.Replies.RemoveAllDone;
import org.dmd.core.control.Replies.Removed;
import org.dmd.core.control.Replies.TableLines;
import org.dmd.core.control.Requests.Keyed;
import org.dmd.core.block.LoopDevice;
import org.dmd.core.block.LoopDevices;
import org.dmd.core.device.CoreReference;
import org.dmd.core.device.DeviceIndex;
import org.dmd.core.device.DeviceNames;
import org.dmd.core.device.DeviceRef;
import org.dmd.core.device.Lifecycle;
import org.dmd.core.device.MappedDevice;
import org.dmd.core.device.OpenDevice;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.UdevCookies;
import org.dmd.core.event.UeventAction;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.minor.MinorTable;
import org.dmd.core.table.Arguments;
import org.dmd.core.module.ModuleFaults;
import org.dmd.core.module.ModuleIndex;
import org.dmd.core.module.ModuleInfo;
import org.dmd.core.module.ModulePolicy;
import org.dmd.core.module.Modules;
import org.dmd.core.registry.TypeRef;
import org.dmd.core.table.Table;
import org.dmd.core.table.TableDevices;
import org.dmd.core.table.TableFactory;
import org.dmd.core.target.TargetType;

/**
 * The device-mapper control interface: one method per dm-ioctl command, with the kernel's flags,
 * checks and errno (dm-ioctl.c: ctl_ioctl and its handlers). Every transport is a codec
 * in front of these methods.
 *
 * <p>Each command: checks its request the way the dispatcher does (dm-ioctl.c: validate_params), clears the
 * output-only flags, runs, and answers with STATUS-FILL where the kernel does. Commands that
 * change the device set or names advance the global event counter, as do table swaps and every
 * live table's events.
 *
 * <p>This class holds no lock of its own; the locks belong to the index, the MinorTable and the
 * devices (order in {@link org.dmd.core.concurrent.LockRank}).
 */
public final class DeviceMapper implements AutoCloseable {

    /** The interface version this daemon implements. */
    public static final DriverVersion VERSION = new DriverVersion(4, 50, 0);
    /** The block major of mapped devices unless configured otherwise. */
    public static final int DEFAULT_MAJOR = 253;

    private final int major;
    private final StepHook steps;
    private final EventBus events;
    private final UdevCookies cookies;
    private final AtomicLong globalEvents = new AtomicLong();
    private final MinorTable<MappedDevice> minors;
    private final DeviceIndex index;
    private final CoreReference core = new CoreReference();
    private final Lifecycle lifecycle;
    private final LoopDevices loops = new LoopDevices();
    private final Set<ControlSession> sessions = ConcurrentHashMap.newKeySet();
    private final SystemBlockLayer blocks;
    private final Modules modules;
    private final TableDevices tableDevices;
    private final TableFactory tables;
    /** Set once, before the control socket accepts: the state journal, or null without --state-dir. */
    private volatile ChangeJournal journal;

    private DeviceMapper(Builder builder) {
        this.major = builder.major;
        this.steps = builder.steps;
        this.events = new EventBus();
        this.cookies = new UdevCookies(events, builder.clock);
        this.minors = new MinorTable<>(steps);
        this.index = new DeviceIndex(minors, major);
        this.lifecycle = new Lifecycle(minors, index, core, events, cookies, steps, globalEvents, major);
        this.blocks = new SystemBlockLayer(loops, minors, index, lifecycle, major);
        this.modules = Modules.builder().index(builder.moduleIndex).policy(builder.modulePolicy)
                .faults(builder.moduleFaults).events(events).steps(steps).build();
        this.tableDevices = new TableDevices(blocks, major);
        this.tables = new TableFactory(modules.registries(), tableDevices, blocks, steps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configuration; every setting has the default of a current kernel. */
    public static final class Builder {
        private int major = DEFAULT_MAJOR;
        private StepHook steps = StepHook.NONE;
        private Clock clock = Clock.systemUTC();
        private ModuleIndex moduleIndex;
        private ModulePolicy modulePolicy = ModulePolicy.DEFAULT;
        private ModuleFaults moduleFaults = ModuleFaults.NONE;

        private Builder() {
        }

        /** The module index (modules.dep, modules.alias, ...); the shipped one by default. */
        public Builder moduleIndex(ModuleIndex index) {
            this.moduleIndex = index;
            return this;
        }

        /** Loader, kmod and registry behaviours (current kernel and kmod by default). */
        public Builder modulePolicy(ModulePolicy policy) {
            this.modulePolicy = policy;
            return this;
        }

        /** Injected module init delays and failures (none by default). */
        public Builder moduleFaults(ModuleFaults faults) {
            this.moduleFaults = faults;
            return this;
        }

        /** The block major of mapped devices (253 by default). */
        public Builder major(int major) {
            if (major <= 0 || major > DeviceNumber.MAX_MAJOR) {
                throw new IllegalArgumentException("major " + major + " is outside 1.." + DeviceNumber.MAX_MAJOR);
            }
            this.major = major;
            return this;
        }

        /** A test hook called at named lifecycle steps. */
        public Builder steps(StepHook steps) {
            this.steps = steps;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public DeviceMapper build() {
            if (moduleIndex == null) {
                moduleIndex = ModuleIndex.shipped();
            }
            return new DeviceMapper(this);
        }
    }

    // ------------------------------------------------------------------ accessors

    public int major() {
        return major;
    }

    /** The ordered uevent and kernel-message stream. */
    public EventBus events() {
        return events;
    }

    public UdevCookies cookies() {
        return cookies;
    }

    /** The global event counter (DEV_ARM_POLL, poll on the control node). */
    public long globalEventNr() {
        return globalEvents.get();
    }

    /** The MinorTable, for invariant checks. */
    public MinorTable<MappedDevice> minors() {
        return minors;
    }

    /** The module subsystem: loader, kmod side and the type registries. */
    public Modules modules() {
        return modules;
    }

    /** The devices held open by tables (live, staged and being built), for invariant checks. */
    public TableDevices tableDevices() {
        return tableDevices;
    }

    /** dm-mod's self-reference count: one per live device. */
    public int coreReferences() {
        return core.count();
    }

    Lifecycle lifecycle() {
        return lifecycle;
    }

    // ------------------------------------------------------------------ the state journal

    /** The state journal every session sends its requests through, or null. */
    public ChangeJournal journal() {
        return journal;
    }

    /** Attaches the state journal (once, after its replay and before any session is opened). */
    public void journalTo(ChangeJournal changes) {
        if (journal != null) {
            throw new IllegalStateException("a state journal is already attached");
        }
        this.journal = changes;
    }

    /** Replay: gives device {@code dev} (MAJ:MIN) the event number it had; ENXIO if there is no such device. */
    public void restoreEventNr(String dev, long eventNr) throws DmException {
        try (DeviceRef ref = index.find(null, null, dev)) {
            ref.device().restoreEventNr(eventNr);
        }
    }

    /** Replay: the global event counter as it was. */
    public void restoreGlobalEventNr(long eventNr) {
        globalEvents.set(eventNr);
    }

    /** Replay: {@code losetup /dev/loopN FILE}, the loop device at the minor it had (EBUSY if taken). */
    public Replies.LoopInfo loopAttachAt(int minor, Requests.LoopAttach request) throws DmException {
        if (minor < 0 || minor > DeviceNumber.MAX_MINOR) {
            throw new DmException(Errno.EINVAL, "loop minor %d is outside 0..%d", minor, DeviceNumber.MAX_MINOR);
        }
        return loopInfo(attachLoop(request, minor), 0);
    }

    // ------------------------------------------------------------------ VERSION, LIST_DEVICES

    public DriverVersion version() {
        return VERSION;
    }

    public Names listDevices(Requests.ListDevices request) {
        boolean withUuid = flags(request.flags()).contains(DmFlag.UUID);
        List<NameEntry> out = new ArrayList<>();
        for (DeviceIndex.Listed d : index.list(request.name(), request.uuid())) {
            out.add(new NameEntry(d.name(), d.number().toString(), d.eventNr(), withUuid ? d.uuid() : null));
        }
        return new Names(out);
    }

    // ------------------------------------------------------------------ DEV_CREATE, DEV_REMOVE, REMOVE_ALL

    public DeviceInfo devCreate(Requests.DevCreate request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        String name = request.name();
        if (name == null || name.isEmpty()) {
            throw new DmException(Errno.EINVAL, "DEV_CREATE needs a device name");
        }
        DeviceNames.checkName(name);
        String uuid = emptyToNull(request.uuid());
        if (uuid != null) {
            DeviceNames.checkUuid(uuid);
        }
        int minor = -1;
        if (flags.contains(DmFlag.PERSISTENT_DEV)) {
            if (request.dev() == null) {
                throw new DmException(Errno.EINVAL, "PERSISTENT_DEV needs dev (MAJ:MIN) to carry the minor");
            }
            minor = requestedMinor(name, request.dev());
        }
        try (DeviceRef ref = lifecycle.create(name, uuid, minor)) {
            globalEvents.incrementAndGet();
            flags.remove(DmFlag.INACTIVE_PRESENT);
            return statusFill(ref, flags);
        }
    }

    /**
     * The minor PERSISTENT_DEV asks for. A device number that does not fit (minor of 2^20 or more)
     * is an allocation failure, which DEV_CREATE reports as ENXIO like every other (dm-ioctl.c: dev_create).
     */
    private static int requestedMinor(String name, String dev) throws DmException {
        try {
            return DeviceNumber.parse(dev).minor();
        } catch (DmException e) {
            if (e.errno() != Errno.EOVERFLOW) {
                throw e;
            }
            throw new DmException(Errno.ENXIO, "cannot allocate a minor for %s: %s", name, e.getMessage());
        }
    }

    public Removed devRemove(Requests.DevRemove request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        checkKey(request);
        boolean deferred = flags.contains(DmFlag.DEFERRED_REMOVE);
        Lifecycle.Removal removal = lifecycle.remove(request.name(), request.uuid(), request.dev(), deferred,
                request.eventNr());
        if (removal == null) {
            // Open, and marked for deferred removal: success, with the flag left set to say so.
            return new Removed(request.name(), request.uuid(), flags);
        }
        globalEvents.incrementAndGet();
        flags.remove(DmFlag.DEFERRED_REMOVE);
        if (removal.ueventGenerated()) {
            flags.add(DmFlag.UEVENT_GENERATED);
        }
        return new Removed(removal.name(), removal.uuid(), flags);
    }

    public RemoveAllDone removeAll(Requests.RemoveAll request) {
        boolean deferred = flags(request.flags()).contains(DmFlag.DEFERRED_REMOVE);
        Lifecycle.RemoveAllResult result = lifecycle.removeAll(new DeviceIndex.RemoveAllMode(true, deferred, false));
        globalEvents.incrementAndGet();
        return new RemoveAllDone(result.removed().size(), result.leftOpen());
    }

    // ------------------------------------------------------------------ DEV_RENAME

    public DeviceInfo devRename(Requests.DevRename request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        boolean setUuid = flags.contains(DmFlag.UUID);
        String wanted = setUuid ? request.newUuid() : request.newName();
        if (wanted == null || wanted.isEmpty()) {
            throw new DmException(Errno.EINVAL, setUuid ? "rename with the UUID flag needs newUuid"
                    : "rename needs newName (or newUuid with the UUID flag)");
        }
        if (setUuid) {
            DeviceNames.checkUuid(wanted);
        } else {
            DeviceNames.checkName(wanted);
        }
        // Looked up by name only; with no name the kernel's order of checks still applies (EBUSY, then ENXIO).
        String name = request.name() == null ? "" : request.name();
        steps.reached(Step.RENAME_CHECKED, name);
        try (DeviceRef ref = index.rename(name, setUuid ? null : wanted, setUuid ? wanted : null)) {
            MappedDevice device = ref.device();
            device.raiseTableEvent();
            if (device.diskAdded()) {
                lifecycle.emitUevent(device, UeventAction.CHANGE, ref.name(), ref.uuid(), request.eventNr(), false);
                flags.add(DmFlag.UEVENT_GENERATED);
            }
            globalEvents.incrementAndGet();
            flags.remove(DmFlag.INACTIVE_PRESENT);
            if (ref.inactive() != null) {
                flags.add(DmFlag.INACTIVE_PRESENT);
            }
            DeviceInfo info = statusFill(ref, flags);
            // The kernel leaves the request's name (the old one) in the header.
            return new DeviceInfo(request.name(), null, info.dev(), info.flags(), info.openCount(), info.eventNr(),
                    info.targetCount());
        }
    }

    // ------------------------------------------------------------------ DEV_STATUS, DEV_SUSPEND

    public DeviceInfo devStatus(Requests.DevStatus request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            return statusFill(ref, flags);
        }
    }

    /** Suspend with SUSPEND in the flags; otherwise resume, activating a staged table. */
    public DeviceInfo devSuspend(Requests.DevSuspend request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            if (flags.contains(DmFlag.SUSPEND)) {
                ref.device().suspend(flags.contains(DmFlag.NOFLUSH));
                return statusFill(ref, flags);
            }
            boolean activated = resume(ref, flags, request.eventNr());
            return statusFill(ref, flags, activated ? null : ref.inactive());
        }
    }

    /**
     * {@code do_resume}: take the staged table, swap it in (suspending first), resume, destroy the
     * old one. A failed swap destroys the taken table and leaves the device suspended with its
     * old live table, as the kernel does.
     *
     * @return true if a staged table was taken (the inactive slot is now empty)
     */
    private boolean resume(DeviceRef ref, EnumSet<DmFlag> flags, long cookie) throws DmException {
        MappedDevice device = ref.device();
        Table next = index.takeInactive(device);
        steps.reached(Step.RESUME_TABLE_TAKEN, ref.name());
        Table previous = null;
        long sizeBefore = device.sectors();
        try {
            if (next != null) {
                flags.remove(DmFlag.INACTIVE_PRESENT);
                try {
                    device.suspend(flags.contains(DmFlag.NOFLUSH));
                } catch (DmException interrupted) {
                    // do_resume does not check it: the swap below fails with EINVAL if not suspended.
                }
                try {
                    previous = device.swap(next);
                } catch (DmException e) {
                    next.destroy();
                    throw e;
                }
                globalEvents.incrementAndGet();
            }
            if (device.resume()) {
                long sizeAfter = device.sectors();
                boolean resize = sizeBefore != 0 && sizeAfter != 0 && sizeBefore != sizeAfter;
                lifecycle.emitUevent(device, UeventAction.CHANGE, ref.name(), ref.uuid(), cookie, resize);
                flags.add(DmFlag.UEVENT_GENERATED);
            }
        } finally {
            if (previous != null) {
                previous.destroy();
            }
        }
        return next != null;
    }

    // ------------------------------------------------------------------ DEV_WAIT

    /**
     * Completes when the device's event number differs from the request's, with the status and
     * the target lines of the live (or inactive) table. ENXIO if the device is missing, or is
     * removed while the waiter sleeps and it has no live table (dmd wakes such waiters; the kernel
     * leaves them asleep). Cancelling the future releases the waiter's device reference.
     */
    public CompletableFuture<TableLines> devWait(Requests.DevWait request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        DeviceRef ref = lookup(request, flags);
        CompletableFuture<Void> waiter = ref.device().awaitEvent(request.eventNr());
        CompletableFuture<TableLines> reply = new CompletableFuture<>();
        waiter.whenComplete((ignored, failure) -> {
            try {
                if (failure != null) {
                    reply.completeExceptionally(unwrap(failure));
                } else {
                    reply.complete(tableLines(ref, flags));
                }
            } catch (RuntimeException e) {
                reply.completeExceptionally(e);
            } finally {
                ref.close();
            }
        });
        reply.whenComplete((ignored, failure) -> {
            if (reply.isCancelled()) {
                waiter.cancel(false);
            }
        });
        steps.reached(Step.WAIT_REGISTERED, ref.name());
        return reply;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    // ------------------------------------------------------------------ TABLE_LOAD, LIST_VERSIONS, GET_TARGET_VERSION

    /**
     * {@code table_load}: builds the table (autoloading target modules, opening its devices) with
     * no lock held, passes the type checks under the device's type lock — the first load
     * registers the block device and emits its ADD uevent —, then stages it in the inactive slot,
     * destroying the table it displaces (last writer wins). A device removed meanwhile gives ENXIO
     * and the new table is destroyed.
     */
    public DeviceInfo tableLoad(Requests.TableLoad request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            MappedDevice device = ref.device();
            Table table = tables.build(device.number(), request.targets(), flags.contains(DmFlag.READONLY));
            steps.reached(Step.LOAD_TABLE_BUILT, ref.name());
            Table displaced;
            try {
                if (device.admitLoad(table)) {
                    lifecycle.emitUevent(device, UeventAction.ADD, ref.name(), ref.uuid(), 0, false);
                }
                displaced = index.stage(device, table);
            } catch (DmException e) {
                table.destroy();
                throw e;
            }
            if (displaced != null) {
                displaced.destroy();
            }
            flags.add(DmFlag.INACTIVE_PRESENT);
            return statusFill(ref, flags, table);
        }
    }

    /** LIST_VERSIONS: every registered target type, most recently registered first. */
    public Replies.TargetVersions listVersions() {
        List<Replies.TargetVersion> out = new ArrayList<>();
        for (TargetType type : modules.registries().targets().list()) {
            out.add(new Replies.TargetVersion(type.name(), type.version().toString()));
        }
        return new Replies.TargetVersions(out);
    }

    /** GET_TARGET_VERSION: one type, autoloading its module; EINVAL if it does not exist. */
    public Replies.TargetVersions getTargetVersion(Requests.GetTargetVersion request) throws DmException {
        String name = request.name();
        if (name == null || name.isEmpty()) {
            throw new DmException(Errno.EINVAL, "GET_TARGET_VERSION needs a target type name");
        }
        Optional<TypeRef<TargetType>> ref = modules.registries().targets().get(name);
        if (ref.isEmpty()) {
            throw new DmException(Errno.EINVAL, "unknown target type %s", name);
        }
        try (TypeRef<TargetType> type = ref.get()) {
            return new Replies.TargetVersions(List.of(new Replies.TargetVersion(name, type.type().version().toString())));
        }
    }

    // ------------------------------------------------------------------ TABLE_CLEAR, TABLE_DEPS, TABLE_STATUS

    public DeviceInfo tableClear(Requests.TableClear request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            steps.reached(Step.CLEAR_FOUND, ref.name());
            Table staged = index.takeInactive(ref.device());
            if (staged != null) {
                staged.destroy();
            }
            flags.remove(DmFlag.INACTIVE_PRESENT);
            return statusFill(ref, flags, null);
        }
    }

    public Deps tableDeps(Requests.TableDeps request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            List<String> devices = new ArrayList<>();
            Table table = enterSelectedTable(ref, flags);
            if (table != null) {
                try {
                    steps.reached(Step.TABLE_READER_ADMITTED, ref.name());
                    table.dependencies().forEach(d -> devices.add(d.toString()));
                } finally {
                    table.exitReader();
                }
            }
            return new Deps(statusFill(ref, flags), devices);
        }
    }

    public TableLines tableStatus(Requests.TableStatus request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        try (DeviceRef ref = lookup(request, flags)) {
            return tableLines(ref, flags);
        }
    }

    private TableLines tableLines(DeviceRef ref, EnumSet<DmFlag> flags) {
        Table table = enterSelectedTable(ref, flags);
        if (table == null) {
            return new TableLines(statusFill(ref, flags), List.of());
        }
        try {
            steps.reached(Step.TABLE_READER_ADMITTED, ref.name());
            return new TableLines(statusFill(ref, flags), table.render(flags.contains(DmFlag.STATUS_TABLE)));
        } finally {
            table.exitReader();
        }
    }

    /** The live table, or the inactive one with QUERY_INACTIVE_TABLE, with a reader admitted; null if none. */
    private Table enterSelectedTable(DeviceRef ref, Set<DmFlag> flags) {
        MappedDevice device = ref.device();
        if (flags.contains(DmFlag.QUERY_INACTIVE_TABLE)) {
            return index.enterInactive(device);
        }
        return device.enterLiveTable();
    }

    // ------------------------------------------------------------------ TARGET_MSG

    /**
     * Sends a message to the target covering {@code sector}, or to device-mapper core for messages
     * starting with {@code @}. A device without a live table ignores the message: the kernel's
     * ioctl returns the positive value 2 there and copies nothing back, so the reply has no output.
     */
    public MessageOutput targetMsg(Requests.TargetMsg request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        // The kernel looks the device up before it reads the message: a missing device is ENXIO.
        try (DeviceRef ref = lookup(request, flags)) {
            steps.reached(Step.MESSAGE_FOUND, ref.name());
            if (request.message() == null) {
                throw new DmException(Errno.EINVAL, "TARGET_MSG needs a message");
            }
            List<String> argv = Arguments.split(request.message());
            if (argv.isEmpty()) {
                throw new DmException(Errno.EINVAL, "Empty message received");
            }
            MappedDevice device = ref.device();
            if (argv.get(0).startsWith("@")) {
                coreMessage(device, argv);
                return new MessageOutput(statusFill(ref, flags), null);
            }
            if (device.isDeleting()) {
                throw new DmException(Errno.ENXIO, "device %s is being removed", ref.name());
            }
            Table table = device.enterLiveTable();
            if (table == null) {
                return new MessageOutput(statusFill(ref, flags), null);
            }
            String output;
            try {
                Table.Line line = table.lineAt(request.sector());
                if (line == null) {
                    throw new DmException(Errno.EINVAL, "Target message sector outside device");
                }
                output = line.target().message(argv).orElse(null);
            } finally {
                table.exitReader();
            }
            if (output != null) {
                flags.add(DmFlag.DATA_OUT);
            }
            return new MessageOutput(statusFill(ref, flags), output);
        }
    }

    private void coreMessage(MappedDevice device, List<String> argv) throws DmException {
        if (!argv.get(0).equals("@cancel_deferred_remove")) {
            throw new DmException(Errno.EINVAL, "Unsupported message sent to DM core: %s", argv.get(0));
        }
        if (argv.size() != 1) {
            throw new DmException(Errno.EINVAL, "Invalid arguments for @cancel_deferred_remove");
        }
        minors.cancelDeferredRemove(device);
    }

    // ------------------------------------------------------------------ DEV_SET_GEOMETRY, DEV_ARM_POLL

    /** {@code "CYLINDERS HEADS SECTORS START"}, with the kernel's range checks. */
    public Replies.Done devSetGeometry(Requests.DevSetGeometry request) throws DmException {
        EnumSet<DmFlag> flags = flags(request.flags());
        // The kernel looks the device up before it parses the geometry: a missing device is ENXIO.
        try (DeviceRef ref = lookup(request, flags)) {
            ref.device().setGeometry(parseGeometry(request.geometry()));
            return new Replies.Done();
        }
    }

    static MappedDevice.Geometry parseGeometry(String text) throws DmException {
        if (text == null) {
            throw new DmException(Errno.EINVAL, "DEV_SET_GEOMETRY needs a geometry string");
        }
        // sscanf("%lu %lu %lu %lu%c") == 4: leading blanks are skipped, nothing may follow the fourth number.
        String[] fields = text.stripLeading().split("[ \\t\\n\\r\\f\\v]+", -1);
        long[] values = new long[4];
        boolean ok = fields.length == 4;
        for (int i = 0; ok && i < 4; i++) {
            ok = fields[i].matches("[0-9]{1,19}");
            if (ok) {
                values[i] = Long.parseLong(fields[i]);
            }
        }
        if (!ok) {
            throw new DmException(Errno.EINVAL, "Unable to interpret geometry settings: '%s'", text);
        }
        if (values[0] > 65535 || values[1] > 255 || values[2] > 255) {
            throw new DmException(Errno.EINVAL, "Geometry exceeds range limits: %s", text);
        }
        if (values[3] > values[0] * values[1] * values[2]) {
            throw new DmException(Errno.EINVAL, "Start sector is beyond the geometry limits: %s", text);
        }
        return new MappedDevice.Geometry((int) values[0], (int) values[1], (int) values[2], values[3]);
    }

    // ------------------------------------------------------------------ block opens and shutdown

    /**
     * Opens the device's block device, as a process opening /dev/dm-N ({@code dm_blk_open}): ENXIO
     * if it does not exist or is being removed. Close the handle to close the device.
     */
    public OpenDevice blockOpen(Requests.BlockOpen request) throws DmException {
        checkKey(request);
        try (DeviceRef ref = index.find(request.name(), request.uuid(), request.dev())) {
            return lifecycle.open(ref);
        }
    }

    /**
     * Shuts the device-mapper core down: EBUSY while devices exist, unless {@code force}, which
     * closes every session's block-device opens and removes every device, and names them.
     */
    public Replies.ShutdownDone shutdown(boolean force) throws DmException {
        return new Replies.ShutdownDone(lifecycle.shutdown(force, () -> sessions.forEach(ControlSession::closeOpens)));
    }

    // ------------------------------------------------------------------ sessions

    /** Opens a control session: one per client connection (one open of /dev/mapper/control). */
    public ControlSession openSession() {
        ControlSession session = new ControlSession(this);
        sessions.add(session);
        return session;
    }

    void sessionClosed(ControlSession session) {
        sessions.remove(session);
    }

    // ------------------------------------------------------------------ modules

    /** {@code modprobe [--first-time] NAME} or {@code modprobe -r NAME}, with kmod's messages on failure. */
    public Replies.ModprobeDone modprobe(Requests.Modprobe request) throws DmException {
        String name = request.name();
        if (name == null || name.isEmpty()) {
            throw new DmException(Errno.EINVAL, "modprobe needs a module name");
        }
        if (request.remove()) {
            modules.modprobeRemove(name);
        } else {
            modules.modprobe(name, request.firstTime());
        }
        return new Replies.ModprobeDone(List.of(name));
    }

    /** {@code lsmod}: loaded and built-in modules with their visible refcounts and users. */
    public Replies.Modules lsmod() {
        List<Replies.ModuleInfo> out = new ArrayList<>();
        for (ModuleInfo m : modules.list()) {
            out.add(new Replies.ModuleInfo(m.name(), m.state().name(), m.refcount(), m.usedBy(), m.builtin()));
        }
        return new Replies.Modules(out);
    }

    // ------------------------------------------------------------------ loop devices

    /** {@code losetup -f FILE}. */
    public Replies.LoopInfo loopAttach(Requests.LoopAttach request) throws DmException {
        return loopInfo(attachLoop(request, -1), 0);
    }

    private LoopDevice attachLoop(Requests.LoopAttach request, int minor) throws DmException {
        if (request.file() == null || request.file().isEmpty()) {
            throw new DmException(Errno.EINVAL, "LOOP_ATTACH needs a file");
        }
        try {
            return loops.attach(Path.of(request.file()), request.readOnly(), minor);
        } catch (InvalidPathException e) {
            throw new DmException(Errno.EINVAL, "'%s' is not a valid path", request.file());
        }
    }

    /** {@code losetup -d /dev/loopN}: EBUSY while a table holds it. */
    public Replies.Done loopDetach(Requests.LoopDetach request) throws DmException {
        String device = request.device();
        if (device == null || device.isEmpty()) {
            throw new DmException(Errno.EINVAL, "LOOP_DETACH needs a device (/dev/loopN or 7:N)");
        }
        DeviceNumber number = blocks.resolve(device);
        if (number.major() != LoopDevices.LOOP_MAJOR) {
            throw new DmException(Errno.EINVAL, "%s is not a loop device", device);
        }
        loops.detach(number.minor());
        return new Replies.Done();
    }

    public Replies.Loops loopList() {
        List<Replies.LoopInfo> out = new ArrayList<>();
        loops.list().forEach(a -> out.add(loopInfo(a.loop(), a.openCount())));
        return new Replies.Loops(out);
    }

    private static Replies.LoopInfo loopInfo(LoopDevice loop, int openCount) {
        return new Replies.LoopInfo(loop.path(), loop.number().toString(), loop.file().toString(), loop.sectors(),
                loop.readOnly(), openCount);
    }

    // ------------------------------------------------------------------ lookup and STATUS-FILL

    /** The dispatcher's check (validate_params) and the lookup (__find_device_hash_cell); sets or clears INACTIVE_PRESENT. */
    private DeviceRef lookup(Keyed key, EnumSet<DmFlag> flags) throws DmException {
        checkKey(key);
        DeviceRef ref = index.find(key.name(), key.uuid(), key.dev());
        if (ref.inactive() != null) {
            flags.add(DmFlag.INACTIVE_PRESENT);
        } else {
            flags.remove(DmFlag.INACTIVE_PRESENT);
        }
        return ref;
    }

    private static void checkKey(Keyed key) throws DmException {
        if (key.name() != null && !key.name().isEmpty() && key.uuid() != null && !key.uuid().isEmpty()) {
            throw new DmException(Errno.EINVAL, "give the device's name or its uuid, not both");
        }
    }

    /** The flags as a command sees them: the request's, with the output-only bits cleared. */
    private static EnumSet<DmFlag> flags(Set<DmFlag> requested) {
        EnumSet<DmFlag> flags = requested == null || requested.isEmpty() ? EnumSet.noneOf(DmFlag.class)
                : EnumSet.copyOf(requested);
        flags.removeAll(DmFlag.OUTPUT_ONLY);
        return flags;
    }

    private static DeviceInfo statusFill(DeviceRef ref, EnumSet<DmFlag> flags) {
        return statusFill(ref, flags, ref.inactive());
    }

    /** STATUS-FILL (dm-ioctl.c: __dev_status), with the inactive table as the command left it. */
    private static DeviceInfo statusFill(DeviceRef ref, EnumSet<DmFlag> flags, Table inactive) {
        MappedDevice device = ref.device();
        EnumSet<DmFlag> out = EnumSet.copyOf(flags);
        out.removeAll(DmFlag.STATUS);
        if (device.suspended()) {
            out.add(DmFlag.SUSPEND);
        }
        if (device.isDeferredRemove()) {
            out.add(DmFlag.DEFERRED_REMOVE);
        }
        Table live = device.liveTable();
        if (live != null) {
            out.add(DmFlag.ACTIVE_PRESENT);
        }
        int targets;
        if (flags.contains(DmFlag.QUERY_INACTIVE_TABLE)) {
            targets = inactive == null ? 0 : inactive.targetCount();
            if (inactive != null && inactive.readOnly()) {
                out.add(DmFlag.READONLY);
            }
        } else {
            targets = live == null ? 0 : live.targetCount();
            if (live != null && device.readOnly()) {
                out.add(DmFlag.READONLY);
            }
        }
        return new DeviceInfo(ref.name(), ref.uuid(), device.number().toString(), out, device.openCount(),
                device.eventNr(), targets);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public void close() {
        modules.close();
        events.close();
    }
}
