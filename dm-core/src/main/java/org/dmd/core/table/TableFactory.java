package org.dmd.core.table;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dmd.core.block.BlockLayer;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.registry.Registries;
import org.dmd.core.registry.TypeRef;
import org.dmd.core.registry.TypeRegistry;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TableEvents;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;

/**
 * Builds tables from target specs ({@code dm_table_create} + {@code populate_table} +
 * {@code dm_table_complete}), with the kernel's checks in the kernel's order
 * ({@code dm_table_add_target}): for each line, a singleton already in the table (before the line
 * is even looked at, so its type is not autoloaded), zero length, size overflow, unknown type
 * (after autoloading {@code dm-<type>}), then the new type's singleton, read-only and immutable
 * rules, "Gap in table", then the target's constructor; then the whole-table rules (mixed queue
 * types, request-based tables of one target, device areas inside their devices).
 *
 * <p>A failed build releases everything it took, newest first, before the error returns. No lock
 * is held while building: autoloading a module may take a while, and only the devices' and the
 * registries' own short critical sections are entered.
 */
public final class TableFactory {

    /** DM_MAX_TARGETS: more targets than this answer EOVERFLOW. */
    public static final int MAX_TARGETS = 1_048_576;
    /** DM_MAX_TYPE_NAME − 1. */
    private static final int MAX_TYPE_NAME = 15;
    /** Devices may not exceed 2^63 bytes: LLONG_MAX >> SECTOR_SHIFT sectors. */
    private static final long MAX_SECTORS = Long.MAX_VALUE >> 9;

    private final Registries registries;
    private final TableDevices devices;
    private final BlockLayer blocks;
    private final StepHook steps;

    public TableFactory(Registries registries, TableDevices devices, BlockLayer blocks, StepHook steps) {
        this.registries = registries;
        this.devices = devices;
        this.blocks = blocks;
        this.steps = steps;
    }

    /** EOVERFLOW for too many targets, checked when the table is created, before any line. */
    public static void checkTargetCount(List<TargetSpec> specs) throws DmException {
        if (specs != null && specs.size() > MAX_TARGETS) {
            throw new DmException(Errno.EOVERFLOW, "table has %d targets; the limit is %d", specs.size(), MAX_TARGETS);
        }
    }

    /** Builds a complete table for the device {@code owner}; EINVAL and friends name the failing line. */
    public Table build(DeviceNumber owner, List<TargetSpec> specs, boolean readOnly) throws DmException {
        checkTargetCount(specs);
        if (specs == null || specs.isEmpty()) {
            throw new DmException(Errno.EINVAL, "%s: table load rejected: no targets", owner);
        }
        Build build = new Build(owner, readOnly);
        try {
            for (TargetSpec spec : specs) {
                build.add(spec);
            }
            return build.complete();
        } catch (DmException | RuntimeException e) {
            build.release();
            throw e;
        }
    }

    /**
     * The release of one table device. Static, so that the closure holds only these three: a table
     * keeps its resources for its whole life, and a closure over the build's context would keep
     * the whole build (its lists, sets and target specs) alive with it, several hundred bytes per
     * table.
     */
    private static AutoCloseable deviceRelease(TableDevices devices, DeviceNumber upper, DeviceNumber lower) {
        return () -> devices.release(upper, lower);
    }

    /**
     * Where the targets of a table under construction raise their events: nowhere until the table
     * exists, then to it. Kept by the targets that raise events, so it holds nothing else.
     */
    private static final class EventRoute implements TableEvents {
        /** Set once the table is built, before the table is published to any other thread. */
        Table table;

        @Override
        public void raise() {
            Table t = table;
            if (t != null) {
                t.raiseEvent();
            }
        }
    }

    /** One table under construction: its lines, and everything taken so far in acquisition order. */
    private final class Build {
        final DeviceNumber owner;
        final boolean readOnly;
        final List<Table.Line> lines = new ArrayList<>();
        /**
         * The distinct types of {@code lines}, in order of first use: the immutable-mix rule looks
         * at each line's type against these rather than against every earlier line, so a table of
         * n targets is checked in O(n), not O(n^2).
         */
        final List<TargetType> types = new ArrayList<>(2);
        final List<AutoCloseable> resources = new ArrayList<>();
        /** Distinct devices in order of first reference. */
        final Set<DeviceNumber> dependencies = new LinkedHashSet<>();
        /** Routes the targets' events to the table once it exists. */
        final EventRoute events = new EventRoute();
        long next;

        Build(DeviceNumber owner, boolean readOnly) {
            this.owner = owner;
            this.readOnly = readOnly;
        }

        void add(TargetSpec spec) throws DmException {
            if (!lines.isEmpty() && lines.get(0).type().features().contains(TargetFeature.SINGLETON)) {
                throw lineError(spec, "target type " + lines.get(0).type().name() + " must appear alone in table");
            }
            String type = spec.type();
            if (spec.length() <= 0) {
                throw lineError(spec, "zero-length target");
            }
            if (spec.start() < 0 || spec.start() > MAX_SECTORS - spec.length()) {
                throw lineError(spec, "Too large device");
            }
            if (type == null || type.isEmpty() || type.length() > MAX_TYPE_NAME) {
                throw lineError(spec, "invalid target type name");
            }
            TargetType targetType = take(registries.targets(), type)
                    .orElseThrow(() -> lineError(spec, "unknown target type"));
            steps.reached(Step.TYPE_TAKEN, type);
            checkTypeRules(spec, targetType);
            if (spec.start() != next) {
                throw lineError(spec, "Gap in table");
            }
            List<String> args = Arguments.split(spec.params() == null ? "" : spec.params());
            Target target;
            try {
                target = targetType.construct(new LineContext(spec), args);
            } catch (DmException e) {
                throw new DmException(e.errno(), "%s: %s: %s", owner, type, e.getMessage());
            }
            lines.add(new Table.Line(spec.start(), spec.length(), targetType, target));
            if (!types.contains(targetType)) {
                types.add(targetType);
            }
            next = spec.start() + spec.length();
        }

        /** The new type's own rules, in the kernel's order: singleton, read-only, immutable. */
        private void checkTypeRules(TargetSpec spec, TargetType type) throws DmException {
            Set<TargetFeature> features = type.features();
            if (!lines.isEmpty() && features.contains(TargetFeature.SINGLETON)) {
                throw lineError(spec, "singleton target type " + type.name() + " cannot appear with other targets");
            }
            if (readOnly && features.contains(TargetFeature.ALWAYS_WRITEABLE)) {
                throw lineError(spec, "target type " + type.name() + " may not be included in a read-only table");
            }
            boolean immutableMix = false;
            for (TargetType earlier : types) {
                immutableMix |= earlier != type && (earlier.features().contains(TargetFeature.IMMUTABLE)
                        || features.contains(TargetFeature.IMMUTABLE));
            }
            if (immutableMix) {
                throw lineError(spec, "immutable target type cannot be mixed with other target types");
            }
        }

        Table complete() throws DmException {
            // dm_table_determine_type: hybrid targets go either way; a table of only hybrid
            // targets takes the device's type when it is admitted.
            boolean requestBased = lines.stream().anyMatch(l -> l.target().requestBased());
            boolean bioBased = lines.stream().anyMatch(l -> !l.target().requestBased()
                    && !l.type().features().contains(TargetFeature.HYBRID));
            if (requestBased && bioBased) {
                throw new DmException(Errno.EINVAL, "%s: inconsistent table: different target types can't be mixed "
                        + "up (request-based and bio-based)", owner);
            }
            if (requestBased && lines.size() > 1) {
                throw new DmException(Errno.EINVAL, "%s: request-based target devices only support 1 target", owner);
            }
            for (Table.Line line : lines) {
                for (DeviceArea area : line.target().areas()) {
                    long size = area.device().sectors();
                    if (area.start() < 0 || area.length() > size || area.start() > size - area.length()) {
                        throw new DmException(Errno.EINVAL, "%s: %s too small for target: start=%d, len=%d, "
                                + "dev_size=%d", owner, area.device().number(), area.start(), area.length(), size);
                    }
                }
            }
            List<DeviceNumber> order = new ArrayList<>(dependencies);
            java.util.Collections.reverse(order);
            Table built = new Table(lines, readOnly, order, resources,
                    requestBased ? DeviceType.REQUEST_BASED : DeviceType.BIO_BASED, !requestBased && !bioBased);
            events.table = built;
            return built;
        }

        /** Undoes a failed build: constructed targets first, then devices and types, newest first. */
        void release() {
            for (int i = lines.size() - 1; i >= 0; i--) {
                lines.get(i).target().destroy();
            }
            Table.releaseAll(resources);
        }

        <T extends org.dmd.core.registry.RegisteredType> Optional<T> take(TypeRegistry<T> registry, String name)
                throws DmException {
            Optional<TypeRef<T>> ref = registry.get(name);
            if (ref.isEmpty()) {
                return Optional.empty();
            }
            resources.add(ref.get());
            return Optional.of(ref.get().type());
        }

        DmException lineError(TargetSpec spec, String reason) {
            return new DmException(Errno.EINVAL, "%s: %s: %s (line %d %d %s)", owner, spec.type(), reason,
                    spec.start(), spec.length(), spec.type());
        }

        /** The context of one line's constructor. */
        private final class LineContext implements TargetContext {
            private final TargetSpec spec;

            LineContext(TargetSpec spec) {
                this.spec = spec;
            }

            @Override
            public long start() {
                return spec.start();
            }

            @Override
            public long length() {
                return spec.length();
            }

            @Override
            public boolean readOnly() {
                return readOnly;
            }

            @Override
            public TableDevice device(String path) throws DmException {
                DeviceNumber lower = blocks.resolve(path);
                TableDevice device = devices.acquire(owner, lower);
                resources.add(deviceRelease(devices, owner, lower));
                dependencies.add(lower);
                return device;
            }

            @Override
            public DeviceNumber deviceNumber(String path) throws DmException {
                return blocks.resolve(path);
            }

            @Override
            public Optional<PathSelectorType> pathSelector(String name) throws DmException {
                return take(registries.pathSelectors(), name);
            }

            @Override
            public Optional<DirtyLogType> dirtyLog(String name) throws DmException {
                return take(registries.dirtyLogs(), name);
            }

            @Override
            public Optional<ExceptionStoreType> exceptionStore(String name) throws DmException {
                return take(registries.exceptionStores(), name);
            }

            @Override
            public TableEvents events() {
                return events;
            }
        }
    }
}
