package org.dmd.core.control;

import java.util.List;
import java.util.Set;

/**
 * One request record per command: the dm_ioctl fields that command reads (dm-ioctl.c's handlers), plus
 * dmd's own commands. Field names are the wire names. A device is addressed by exactly one of
 * {@code name}, {@code uuid} or {@code dev} ({@code MAJ:MIN}), as in the kernel's lookup (dm-ioctl.c: __find_device_hash_cell).
 * Absent fields are null (or 0 for numbers); absent flag sets are empty.
 *
 * <p>Event numbers and cookies are u32 values carried in a {@code long}.
 */
public final class Requests {

    private Requests() {
    }

    /** Every request. */
    public sealed interface Request permits Version, RemoveAll, ListDevices, DevCreate, DevRemove, DevRename,
            DevSuspend, DevStatus, DevWait, TableLoad, TableClear, TableDeps, TableStatus, ListVersions, TargetMsg,
            DevSetGeometry, DevArmPoll, GetTargetVersion, BlockOpen, BlockClose, LoopAttach, LoopDetach, LoopList,
            Modprobe, Lsmod, Shutdown, UdevCreateCookie, UdevComplete, UdevReleaseCookie, UdevCookies,
            UdevCompleteAll, Monitor {
    }

    /** A request that names one device the kernel's way. */
    public interface Keyed {
        String name();

        String uuid();

        String dev();
    }

    /** A request that carries dm_ioctl flags. */
    public interface Flagged {
        Set<DmFlag> flags();
    }

    // ------------------------------------------------------------------ dm-ioctl commands

    public record Version() implements Request {
    }

    public record RemoveAll(Set<DmFlag> flags) implements Request, Flagged {
    }

    /** {@code name}/{@code uuid} are optional prefix filters; UUID in flags asks for uuids. */
    public record ListDevices(String name, String uuid, Set<DmFlag> flags) implements Request, Flagged {
    }

    /** {@code dev} with PERSISTENT_DEV requests a minor (its major is ignored); {@code eventNr} carries a cookie. */
    public record DevCreate(String name, String uuid, String dev, Set<DmFlag> flags, long eventNr)
            implements Request, Flagged {
    }

    public record DevRemove(String name, String uuid, String dev, Set<DmFlag> flags, long eventNr)
            implements Request, Keyed, Flagged {
    }

    /**
     * Renames device {@code name} (looked up by name only) to {@code newName}, or with the UUID
     * flag sets its uuid to {@code newUuid}: the kernel's single payload string, split by meaning.
     */
    public record DevRename(String name, String newName, String newUuid, Set<DmFlag> flags, long eventNr)
            implements Request, Flagged {
    }

    /** SUSPEND in flags suspends; without it, resumes (activating a staged table). */
    public record DevSuspend(String name, String uuid, String dev, Set<DmFlag> flags, long eventNr)
            implements Request, Keyed, Flagged {
    }

    public record DevStatus(String name, String uuid, String dev, Set<DmFlag> flags)
            implements Request, Keyed, Flagged {
    }

    /** Waits until the device's event number differs from {@code eventNr}. */
    public record DevWait(String name, String uuid, String dev, Set<DmFlag> flags, long eventNr)
            implements Request, Keyed, Flagged {
    }

    /** One table line as {@code struct dm_target_spec} carries it. */
    public record TargetSpec(long start, long length, String type, String params) {
    }

    public record TableLoad(String name, String uuid, String dev, Set<DmFlag> flags, List<TargetSpec> targets)
            implements Request, Keyed, Flagged {
    }

    public record TableClear(String name, String uuid, String dev, Set<DmFlag> flags)
            implements Request, Keyed, Flagged {
    }

    public record TableDeps(String name, String uuid, String dev, Set<DmFlag> flags)
            implements Request, Keyed, Flagged {
    }

    /** STATUS_TABLE in flags asks for table lines instead of status lines. */
    public record TableStatus(String name, String uuid, String dev, Set<DmFlag> flags)
            implements Request, Keyed, Flagged {
    }

    public record ListVersions() implements Request {
    }

    public record TargetMsg(String name, String uuid, String dev, Set<DmFlag> flags, long sector, String message)
            implements Request, Keyed, Flagged {
    }

    /** {@code geometry} is {@code "CYLINDERS HEADS SECTORS START"}. */
    public record DevSetGeometry(String name, String uuid, String dev, Set<DmFlag> flags, String geometry)
            implements Request, Keyed, Flagged {
    }

    public record DevArmPoll() implements Request {
    }

    /** {@code name} is the target type's name. */
    public record GetTargetVersion(String name) implements Request {
    }

    // ------------------------------------------------------------------ dmd's own commands

    /** Opens the mapped block device, as a process opening /dev/dm-N would ({@code dm_blk_open}). */
    public record BlockOpen(String name, String uuid, String dev) implements Request, Keyed {
    }

    /** Closes an open made on the same session. */
    public record BlockClose(long handle) implements Request {
    }

    /** Attaches a regular file as the next free /dev/loopN (losetup -f FILE). */
    public record LoopAttach(String file, boolean readOnly) implements Request {
    }

    /** Detaches /dev/loopN (or {@code 7:N}). */
    public record LoopDetach(String device) implements Request {
    }

    public record LoopList() implements Request {
    }

    /** modprobe NAME, modprobe -r NAME ({@code remove}), with --first-time. */
    public record Modprobe(String name, boolean remove, boolean firstTime) implements Request {
    }

    public record Lsmod() implements Request {
    }

    /** Stops the daemon; refused with EBUSY while devices exist unless {@code force}. */
    public record Shutdown(boolean force) implements Request {
    }

    // ------------------------------------------------------------------ udev-style cookies

    public record UdevCreateCookie() implements Request {
    }

    public record UdevComplete(long cookie) implements Request {
    }

    /** Drops the creator's hold on the cookie and waits until every uevent that carried it is processed. */
    public record UdevReleaseCookie(long cookie) implements Request {
    }

    public record UdevCookies() implements Request {
    }

    /** Completes every cookie older than {@code ageMinutes} (0: all). */
    public record UdevCompleteAll(long ageMinutes) implements Request {
    }

    /** Subscribes the connection to the uevent stream (and kernel messages if asked). */
    public record Monitor(boolean kernelMessages) implements Request {
    }
}
