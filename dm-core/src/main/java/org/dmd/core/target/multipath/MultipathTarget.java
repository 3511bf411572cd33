package org.dmd.core.target.multipath;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TableEvents;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.ArgBounds;
import org.dmd.core.target.support.ArgSet;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code multipath <#features> [<feature>]* <#hw handler args> [<hw handler> [<arg>]*]
 * <#priority groups> <initial group> [<selector> <#selector args> [<arg>]* <#paths>
 * <#per-path args> [<path> [<arg>]*]+]+}.
 *
 * <p>At rest: dmd sends no I/O, so no path is ever chosen. As in the kernel before the first
 * I/O, no group is current (groups show {@code E}nabled, or {@code D}isabled when bypassed), the
 * "queue I/O" flag is still set, and the group number printed is the group to switch to next
 * (the initial group, or the one given to {@code switch_group}). Paths start {@code A}ctive
 * with fail count 0; {@code fail_path} and {@code reinstate_path} change them and raise a table
 * event, as do the group messages.
 *
 * <p>Devices are not SCSI devices in dmd, so attaching a hardware handler to a path fails the
 * way {@code scsi_dh_attach} fails for any other block device (ENODEV); a handler on a table
 * without paths, or in bio-based mode (where it is ignored), is accepted.
 *
 * <p>Suspend is modelled as the kernel's flushing suspend: {@code queue_if_no_path} is saved and
 * cleared before suspending and restored on resume (the noflush variant, which keeps it, is not
 * distinguished). Messages to a suspended target fail with EBUSY.
 *
 * <p>Thread safety: the configuration is final; everything messages and suspend hooks change is
 * one immutable {@link State} in an {@link AtomicReference}, replaced by compare-and-set, so
 * status and table text always reflect one consistent state. Events are raised after the
 * state change, with no lock held.
 */
public final class MultipathTarget implements Target {

    public static final TargetType TYPE = new BasicTargetType("multipath", Version.of(1, 15, 0),
            Set.of(TargetFeature.SINGLETON, TargetFeature.IMMUTABLE), MultipathTarget::construct);

    private static final ArgBounds FEATURE_COUNT = new ArgBounds(0, 8, "invalid number of feature args");
    private static final ArgBounds PG_INIT_RETRIES =
            new ArgBounds(1, 50, "pg_init_retries must be between 1 and 50");
    private static final ArgBounds PG_INIT_DELAY =
            new ArgBounds(0, 60000, "pg_init_delay_msecs must be between 0 and 60000");
    private static final ArgBounds HW_HANDLER_ARGS =
            new ArgBounds(0, 1024, "invalid number of hardware handler args");
    private static final ArgBounds GROUP_COUNT = new ArgBounds(0, 1024, "invalid number of priority groups");
    private static final ArgBounds INITIAL_GROUP = new ArgBounds(0, 1024, "invalid initial priority group number");
    private static final ArgBounds SELECTOR_ARGS = new ArgBounds(0, 1024, "invalid number of path selector args");
    private static final ArgBounds PATH_COUNT = new ArgBounds(1, 1024, "invalid number of paths");
    private static final ArgBounds PER_PATH_ARGS = new ArgBounds(0, 1024, "invalid number of selector args");

    /** The table's feature arguments. */
    private static final class Features {
        boolean queueIfNoPath;
        long pgInitRetries;
        OptionalLong pgInitDelayMsecs = OptionalLong.empty();
        boolean retainAttachedHwHandler;
        boolean bioBased;
    }

    private record PriorityGroup(PathSelectorType type, PathSelector selector, List<PathEntry> paths) {
    }

    private record PathEntry(TableDevice device, PathSelector.Path selectorPath) {
    }

    private record PathState(boolean active, long failCount) {
        static final PathState ACTIVE = new PathState(true, 0);
    }

    /**
     * What changes after construction. {@code nextGroup} is 1-based, 0 for none; {@code bypassed}
     * is per group and {@code paths} per path, in table order.
     */
    private record State(boolean queueIfNoPath, boolean savedQueueIfNoPath, boolean suspended, int nextGroup,
                         List<Boolean> bypassed, List<PathState> paths) {

        State withQueueIfNoPath(boolean queue, boolean saved) {
            return new State(queue, saved, suspended, nextGroup, bypassed, paths);
        }

        State withSuspended(boolean nowSuspended) {
            return new State(queueIfNoPath, savedQueueIfNoPath, nowSuspended, nextGroup, bypassed, paths);
        }

        State withGroups(int next, List<Boolean> nowBypassed) {
            return new State(queueIfNoPath, savedQueueIfNoPath, suspended, next, List.copyOf(nowBypassed), paths);
        }

        State withPaths(List<PathState> nowPaths) {
            return new State(queueIfNoPath, savedQueueIfNoPath, suspended, nextGroup, bypassed, List.copyOf(nowPaths));
        }
    }

    /** Resolves message arguments to device numbers ({@code dm_devt_from_path}). */
    @FunctionalInterface
    private interface DeviceResolver {
        DeviceNumber resolve(String path) throws DmException;
    }

    private final long pgInitRetries;
    private final OptionalLong pgInitDelayMsecs;
    private final boolean retainAttachedHwHandler;
    private final boolean bioBased;
    private final Optional<String> hwHandler;
    private final List<PriorityGroup> groups;
    private final List<PathEntry> paths;
    private final long start;
    private final long length;
    private final DeviceResolver resolver;
    private final TableEvents events;
    private final AtomicReference<State> state;

    private MultipathTarget(Features features, Optional<String> hwHandler, List<PriorityGroup> groups,
                            int initialGroup, TargetContext context) {
        this.pgInitRetries = features.pgInitRetries;
        this.pgInitDelayMsecs = features.pgInitDelayMsecs;
        this.retainAttachedHwHandler = features.retainAttachedHwHandler;
        this.bioBased = features.bioBased;
        this.hwHandler = hwHandler;
        this.groups = List.copyOf(groups);
        this.paths = groups.stream().flatMap(group -> group.paths().stream()).toList();
        this.start = context.start();
        this.length = context.length();
        this.resolver = context::deviceNumber;
        this.events = context.events();
        // The kernel counts groups down from the initial number; one beyond the last is never met.
        int next = initialGroup <= groups.size() ? initialGroup : 0;
        this.state = new AtomicReference<>(new State(features.queueIfNoPath, false, false, next,
                Collections.nCopies(groups.size(), false), Collections.nCopies(paths.size(), PathState.ACTIVE)));
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        ArgSet as = new ArgSet(args);
        Features features = parseFeatures(as);
        if (features.bioBased) {
            // bio-based multipath only discovers an attached handler, it never attaches one.
            features.retainAttachedHwHandler = true;
        }
        Optional<String> hwHandler = parseHwHandler(as, features.bioBased);
        int groupCount = as.read(GROUP_COUNT);
        int initialGroup = as.read(INITIAL_GROUP);
        if ((groupCount == 0) != (initialGroup == 0)) {
            throw TargetErrors.invalid("invalid initial priority group");
        }
        List<PriorityGroup> groups = new ArrayList<>();
        while (!as.isEmpty()) {
            groups.add(parsePriorityGroup(context, as, hwHandler));
        }
        if (groups.size() != groupCount) {
            throw TargetErrors.invalid("priority group count mismatch");
        }
        return new MultipathTarget(features, hwHandler, groups, initialGroup, context);
    }

    private static Features parseFeatures(ArgSet as) throws DmException {
        Features features = new Features();
        int count = as.readGroup(FEATURE_COUNT);
        while (count > 0) {
            String name = as.shift();
            count--;
            if (name.equalsIgnoreCase("queue_if_no_path")) {
                features.queueIfNoPath = true;
            } else if (name.equalsIgnoreCase("retain_attached_hw_handler")) {
                features.retainAttachedHwHandler = true;
            } else if (name.equalsIgnoreCase("pg_init_retries") && count >= 1) {
                features.pgInitRetries = as.read(PG_INIT_RETRIES);
                count--;
            } else if (name.equalsIgnoreCase("pg_init_delay_msecs") && count >= 1) {
                features.pgInitDelayMsecs = OptionalLong.of(as.read(PG_INIT_DELAY));
                count--;
            } else if (name.equalsIgnoreCase("queue_mode") && count >= 1) {
                String mode = as.shift();
                count--;
                if (mode.equalsIgnoreCase("bio")) {
                    features.bioBased = true;
                } else if (mode.equalsIgnoreCase("rq") || mode.equalsIgnoreCase("mq")) {
                    features.bioBased = false;
                } else {
                    throw TargetErrors.invalid("Unknown 'queue_mode' requested");
                }
            } else {
                throw TargetErrors.invalid("Unrecognised multipath feature request");
            }
        }
        return features;
    }

    /** {@code <#args> [<name> [<param>]*]}: the parameters are passed to the handler, never printed. */
    private static Optional<String> parseHwHandler(ArgSet as, boolean bioBased) throws DmException {
        int count = as.readGroup(HW_HANDLER_ARGS);
        if (count == 0) {
            return Optional.empty();
        }
        if (bioBased) {
            as.consume(count);
            return Optional.empty();
        }
        String name = as.shift();
        as.consume(count - 1);
        return Optional.of(name);
    }

    private static PriorityGroup parsePriorityGroup(TargetContext context, ArgSet as, Optional<String> hwHandler)
            throws DmException {
        if (as.remaining() < 2) {
            throw TargetErrors.invalid("not enough priority group arguments");
        }
        PathSelectorType type = context.pathSelector(as.shift())
                .orElseThrow(() -> TargetErrors.invalid("unknown path selector type"));
        int selectorArgs = as.readGroup(SELECTOR_ARGS);
        PathSelector selector;
        try {
            selector = type.create(as.take(selectorArgs));
        } catch (DmException e) {
            throw TargetErrors.relabel("path selector constructor failed", e);
        }
        int pathCount = as.read(PATH_COUNT);
        int perPathArgs = as.read(PER_PATH_ARGS);
        List<PathEntry> entries = new ArrayList<>();
        for (int i = 0; i < pathCount; i++) {
            if (as.remaining() < 1 + perPathArgs) {
                throw TargetErrors.invalid("not enough path parameters");
            }
            List<String> pathArgs = as.take(1 + perPathArgs);
            TableDevice device = TargetErrors.device(context, pathArgs.get(0), "error getting device");
            if (hwHandler.isPresent()) {
                throw new DmException(Errno.ENODEV, "error attaching hardware handler: "
                        + device.number() + " is not a SCSI device, so handler '" + hwHandler.get()
                        + "' cannot attach to it");
            }
            entries.add(new PathEntry(device, selector.addPath(device, pathArgs.subList(1, pathArgs.size()))));
        }
        return new PriorityGroup(type, selector, List.copyOf(entries));
    }

    @Override
    public boolean requestBased() {
        return !bioBased;
    }

    @Override
    public String table() {
        State now = state.get();
        List<String> words = new ArrayList<>();
        List<String> features = new ArrayList<>();
        if (now.queueIfNoPath()) {
            features.add("queue_if_no_path");
        }
        if (pgInitRetries > 0) {
            features.add("pg_init_retries");
            features.add(Long.toString(pgInitRetries));
        }
        pgInitDelayMsecs.ifPresent(delay -> {
            features.add("pg_init_delay_msecs");
            features.add(Long.toString(delay));
        });
        if (retainAttachedHwHandler) {
            features.add("retain_attached_hw_handler");
        }
        if (bioBased) {
            features.add("queue_mode");
            features.add("bio");
        }
        words.add(Integer.toString(features.size()));
        words.addAll(features);
        hwHandler.ifPresentOrElse(name -> words.addAll(List.of("1", name)), () -> words.add("0"));
        addGroupHeader(words, now);
        for (PriorityGroup group : groups) {
            words.add(group.type().name());
            words.addAll(group.selector().arguments());
            words.add(Integer.toString(group.paths().size()));
            words.add(Integer.toString(group.type().tableArgs()));
            for (PathEntry path : group.paths()) {
                words.add(path.device().number().toString());
                words.addAll(path.selectorPath().tableWords());
            }
        }
        return layOut(words);
    }

    @Override
    public String status() {
        State now = state.get();
        // Feature status: "queue I/O" still set (no path chosen yet) and no pg_init run.
        List<String> words = new ArrayList<>(List.of("2", "1", "0", "0"));
        addGroupHeader(words, now);
        int pathIndex = 0;
        for (int g = 0; g < groups.size(); g++) {
            PriorityGroup group = groups.get(g);
            words.add(now.bypassed().get(g) ? "D" : "E");
            words.addAll(group.selector().arguments());
            words.add(Integer.toString(group.paths().size()));
            words.add(Integer.toString(group.type().infoArgs()));
            for (PathEntry path : group.paths()) {
                PathState pathState = now.paths().get(pathIndex++);
                words.add(path.device().number().toString());
                words.add(pathState.active() ? "A" : "F");
                words.add(Long.toString(pathState.failCount()));
                words.addAll(path.selectorPath().statusWords());
            }
        }
        return layOut(words);
    }

    /** {@code <#groups> <group number>}: the group to use next, else the first, else 0. */
    private void addGroupHeader(List<String> words, State now) {
        words.add(Integer.toString(groups.size()));
        words.add(Integer.toString(now.nextGroup() != 0 ? now.nextGroup() : (groups.isEmpty() ? 0 : 1)));
    }

    /** The kernel emits every word followed by one space. */
    private static String layOut(List<String> words) {
        return String.join(" ", words) + " ";
    }

    @Override
    public List<DeviceArea> areas() {
        // The kernel reports each path from the target's own start sector, not from sector 0.
        return paths.stream().map(path -> new DeviceArea(path.device(), start, length)).toList();
    }

    @Override
    public Optional<String> message(List<String> argv) throws DmException {
        if (state.get().suspended()) {
            throw new DmException(Errno.EBUSY, "multipath messages are refused while the device is suspended");
        }
        if (argv.size() == 1 && argv.get(0).equalsIgnoreCase("queue_if_no_path")) {
            update(s -> s.withQueueIfNoPath(true, s.savedQueueIfNoPath()));
            return Optional.empty();
        }
        if (argv.size() == 1 && argv.get(0).equalsIgnoreCase("fail_if_no_path")) {
            // Also forgets a value saved by a suspend, so resume does not turn queueing back on.
            update(s -> s.withQueueIfNoPath(false, false));
            return Optional.empty();
        }
        if (argv.size() != 2) {
            throw new DmException(Errno.EINVAL,
                    "Invalid multipath message arguments. Expected 2 arguments, got %d.", argv.size());
        }
        String verb = argv.get(0);
        String argument = argv.get(1);
        if (verb.equalsIgnoreCase("disable_group")) {
            bypassGroup(groupNumber(argument, "bypass_pg"), true);
        } else if (verb.equalsIgnoreCase("enable_group")) {
            bypassGroup(groupNumber(argument, "bypass_pg"), false);
        } else if (verb.equalsIgnoreCase("switch_group")) {
            switchGroup(groupNumber(argument, "switch_pg_num"));
        } else if (verb.equalsIgnoreCase("reinstate_path")) {
            setPathsActive(argument, true);
        } else if (verb.equalsIgnoreCase("fail_path")) {
            setPathsActive(argument, false);
        } else {
            throw new DmException(Errno.EINVAL, "Unrecognised multipath message received: %s", verb);
        }
        return Optional.empty();
    }

    private int groupNumber(String text, String function) throws DmException {
        OptionalLong number = Numbers.scanUnsignedInt(text);
        if (number.isEmpty() || number.getAsLong() == 0 || number.getAsLong() > groups.size()) {
            throw new DmException(Errno.EINVAL, "invalid PG number supplied to %s", function);
        }
        return (int) number.getAsLong();
    }

    private void bypassGroup(int group, boolean bypass) {
        update(s -> {
            List<Boolean> bypassed = new ArrayList<>(s.bypassed());
            bypassed.set(group - 1, bypass);
            return s.withGroups(s.nextGroup(), bypassed);
        });
        events.raise();
    }

    /** Switching clears every group's bypass and makes the group the next one used. */
    private void switchGroup(int group) {
        update(s -> s.withGroups(group, Collections.nCopies(groups.size(), false)));
        events.raise();
    }

    /** Fails or reinstates every path on the named device; an event follows if one changed. */
    private void setPathsActive(String devicePath, boolean active) throws DmException {
        DeviceNumber device;
        try {
            device = resolver.resolve(devicePath);
        } catch (DmException e) {
            throw TargetErrors.relabel("message: error getting device " + devicePath, e);
        }
        List<Integer> matching = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            if (paths.get(i).device().number().equals(device)) {
                matching.add(i);
            }
        }
        if (matching.isEmpty()) {
            throw new DmException(Errno.EINVAL, "%s is not a path of this multipath device", device);
        }
        State before = update(s -> {
            List<PathState> now = new ArrayList<>(s.paths());
            for (int i : matching) {
                PathState path = now.get(i);
                if (path.active() != active) {
                    now.set(i, new PathState(active, path.failCount() + (active ? 0 : 1)));
                }
            }
            return s.withPaths(now);
        });
        if (matching.stream().anyMatch(i -> before.paths().get(i).active() != active)) {
            events.raise();
        }
    }

    /** Before a (flushing) suspend: save queue_if_no_path and stop queueing. */
    @Override
    public void presuspend() {
        // Saving "off" over a saved "on" would lose the saved value; the kernel keeps it.
        update(s -> s.withQueueIfNoPath(false, s.queueIfNoPath() || s.savedQueueIfNoPath()));
    }

    @Override
    public void postsuspend() {
        update(s -> s.withSuspended(true));
    }

    /** On resume: restore a saved queue_if_no_path. */
    @Override
    public void preresume() {
        update(s -> {
            State resumed = s.withSuspended(false);
            return s.savedQueueIfNoPath() ? resumed.withQueueIfNoPath(true, false) : resumed;
        });
    }

    /** Applies {@code change} atomically and returns the state it replaced. */
    private State update(UnaryOperator<State> change) {
        return state.getAndUpdate(change);
    }
}
