package org.dmd.core.control;

import java.util.List;
import java.util.Set;

/**
 * The replies: the fields each command writes (dm-ioctl.c's handlers). Devices are {@code MAJ:MIN}
 * strings; u32 counters are carried in a {@code long}.
 */
public final class Replies {

    private Replies() {
    }

    public sealed interface Reply permits DriverVersion, DeviceInfo, Removed, RemoveAllDone, Names, TableLines, Deps,
            TargetVersions, MessageOutput, PollArmed, Done, BlockOpened, LoopInfo, Loops, ModprobeDone, Modules,
            ShutdownDone, Cookie, Cookies, Subscribed {
    }

    /** VERSION: the interface version triple, 4.50.0. */
    public record DriverVersion(int major, int minor, int patch) implements Reply {
        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    /**
     * STATUS-FILL (dm-ioctl.c: __dev_status): the device's name and uuid as found by the lookup, its number, the
     * echoed and recomputed flags, open count, event number and the selected table's target count.
     */
    public record DeviceInfo(String name, String uuid, String dev, Set<DmFlag> flags, int openCount, long eventNr,
                             int targetCount) implements Reply {
    }

    /** DEV_REMOVE: lookup fields only; DEFERRED_REMOVE in flags means the removal was deferred. */
    public record Removed(String name, String uuid, Set<DmFlag> flags) implements Reply {
    }

    /** REMOVE_ALL: how many devices went, and how many were left because they are open. */
    public record RemoveAllDone(int removed, int leftOpen) implements Reply {
    }

    public record NameEntry(String name, String dev, long eventNr, String uuid) {
    }

    /** LIST_DEVICES, in byte order of names. */
    public record Names(List<NameEntry> devices) implements Reply {
    }

    /** One target line of TABLE_STATUS / DEV_WAIT: the status or table string of that target. */
    public record TargetLine(long start, long length, String type, String text) {
    }

    /** TABLE_STATUS and DEV_WAIT. */
    public record TableLines(DeviceInfo device, List<TargetLine> targets) implements Reply {
    }

    /** TABLE_DEPS: devices in kernel order (reverse order of first reference). */
    public record Deps(DeviceInfo device, List<String> devices) implements Reply {
    }

    public record TargetVersion(String name, String version) {
    }

    /** LIST_VERSIONS (most recently registered first) and GET_TARGET_VERSION (one entry). */
    public record TargetVersions(List<TargetVersion> targets) implements Reply {
    }

    /** TARGET_MSG: DATA_OUT in the device's flags when {@code output} is not null. */
    public record MessageOutput(DeviceInfo device, String output) implements Reply {
    }

    /** DEV_ARM_POLL: the global event counter now recorded for this session. */
    public record PollArmed(long globalEventNr) implements Reply {
    }

    /** A command that writes nothing back. */
    public record Done() implements Reply {
    }

    public record BlockOpened(long handle, DeviceInfo device) implements Reply {
    }

    /** One attached loop device. */
    public record LoopInfo(String device, String dev, String file, long sectors, boolean readOnly, int openCount)
            implements Reply {
    }

    public record Loops(List<LoopInfo> loops) implements Reply {
    }

    /** modprobe: the modules the kmod side was asked about (a failure is an error reply with kmod's message). */
    public record ModprobeDone(List<String> modules) implements Reply {
    }

    /** One line of lsmod: visible refcount and the modules using this one. */
    public record ModuleInfo(String name, String state, int refcount, List<String> usedBy, boolean builtin) {
    }

    public record Modules(List<ModuleInfo> modules) implements Reply {
    }

    /** What a shutdown destroyed (non-empty only when forced). */
    public record ShutdownDone(List<String> destroyed) implements Reply {
    }

    public record Cookie(long cookie) implements Reply {
    }

    /** One udev cookie: its value (pending completions + the creator's hold) and age. */
    public record CookieInfo(long cookie, int value, long createdEpochMillis) {
    }

    public record Cookies(List<CookieInfo> cookies) implements Reply {
    }

    /** MONITOR: events follow on the same connection. */
    public record Subscribed() implements Reply {
    }
}
