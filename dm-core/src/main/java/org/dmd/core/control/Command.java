package org.dmd.core.control;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.dmd.core.control.Requests.Request;

/**
 * Every command dmd answers, with its wire name and request type: the dm-ioctl commands under
 * their kernel numbers (include/uapi/linux/dm-ioctl.h: enum DM_*_CMD), then dmd's own.
 */
public enum Command {
    VERSION(0, Requests.Version.class),
    REMOVE_ALL(1, Requests.RemoveAll.class),
    LIST_DEVICES(2, Requests.ListDevices.class),
    DEV_CREATE(3, Requests.DevCreate.class),
    DEV_REMOVE(4, Requests.DevRemove.class),
    DEV_RENAME(5, Requests.DevRename.class),
    DEV_SUSPEND(6, Requests.DevSuspend.class),
    DEV_STATUS(7, Requests.DevStatus.class),
    DEV_WAIT(8, Requests.DevWait.class),
    TABLE_LOAD(9, Requests.TableLoad.class),
    TABLE_CLEAR(10, Requests.TableClear.class),
    TABLE_DEPS(11, Requests.TableDeps.class),
    TABLE_STATUS(12, Requests.TableStatus.class),
    LIST_VERSIONS(13, Requests.ListVersions.class),
    TARGET_MSG(14, Requests.TargetMsg.class),
    DEV_SET_GEOMETRY(15, Requests.DevSetGeometry.class),
    DEV_ARM_POLL(16, Requests.DevArmPoll.class),
    GET_TARGET_VERSION(17, Requests.GetTargetVersion.class),

    BLOCK_OPEN(-1, Requests.BlockOpen.class),
    BLOCK_CLOSE(-1, Requests.BlockClose.class),
    LOOP_ATTACH(-1, Requests.LoopAttach.class),
    LOOP_DETACH(-1, Requests.LoopDetach.class),
    LOOP_LIST(-1, Requests.LoopList.class),
    MODPROBE(-1, Requests.Modprobe.class),
    LSMOD(-1, Requests.Lsmod.class),
    SHUTDOWN(-1, Requests.Shutdown.class),
    UDEV_CREATE_COOKIE(-1, Requests.UdevCreateCookie.class),
    UDEV_COMPLETE(-1, Requests.UdevComplete.class),
    UDEV_RELEASE_COOKIE(-1, Requests.UdevReleaseCookie.class),
    UDEV_COOKIES(-1, Requests.UdevCookies.class),
    UDEV_COMPLETE_ALL(-1, Requests.UdevCompleteAll.class),
    MONITOR(-1, Requests.Monitor.class);

    private static final Map<String, Command> BY_NAME = new HashMap<>();
    private static final Map<Class<?>, Command> BY_TYPE = new HashMap<>();

    static {
        for (Command c : values()) {
            BY_NAME.put(c.name(), c);
            BY_TYPE.put(c.requestType, c);
        }
    }

    private final int ioctlNumber;
    private final Class<? extends Request> requestType;

    Command(int ioctlNumber, Class<? extends Request> requestType) {
        this.ioctlNumber = ioctlNumber;
        this.requestType = requestType;
    }

    /** The dm-ioctl command number, or -1 for dmd's own commands. */
    public int ioctlNumber() {
        return ioctlNumber;
    }

    public Class<? extends Request> requestType() {
        return requestType;
    }

    /** The command with this wire name (case-insensitive), or null. */
    public static Command named(String name) {
        return name == null ? null : BY_NAME.get(name.toUpperCase(Locale.ROOT));
    }

    public static Command of(Request request) {
        return BY_TYPE.get(request.getClass());
    }
}
