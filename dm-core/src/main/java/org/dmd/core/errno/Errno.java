package org.dmd.core.errno;

/**
 * The Linux errno values that device-mapper, the module loader and kmod report, with their
 * x86_64 numbers and the text glibc's {@code strerror} prints for them.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    ESRCH(3, "No such process"),
    EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"),
    ENXIO(6, "No such device or address"),
    ENOEXEC(8, "Exec format error"),
    EBADF(9, "Bad file descriptor"),
    EAGAIN(11, "Resource temporarily unavailable"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EFAULT(14, "Bad address"),
    ENOTBLK(15, "Block device required"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    ENOTDIR(20, "Not a directory"),
    EISDIR(21, "Is a directory"),
    EINVAL(22, "Invalid argument"),
    ENOTTY(25, "Inappropriate ioctl for device"),
    ETXTBSY(26, "Text file busy"),
    ENOSPC(28, "No space left on device"),
    EPIPE(32, "Broken pipe"),
    EROFS(30, "Read-only file system"),
    ENAMETOOLONG(36, "File name too long"),
    ENOSYS(38, "Function not implemented"),
    ETIME(62, "Timer expired"),
    EPROTO(71, "Protocol error"),
    EOVERFLOW(75, "Value too large for defined data type"),
    EMSGSIZE(90, "Message too long"),
    EOPNOTSUPP(95, "Operation not supported"),
    ETIMEDOUT(110, "Connection timed out"),
    ECONNREFUSED(111, "Connection refused"),
    EALREADY(114, "Operation already in progress");

    private static final Errno[] BY_NUMBER = new Errno[128];

    static {
        for (Errno e : values()) {
            BY_NUMBER[e.number] = e;
        }
    }

    private final int number;
    private final String text;

    Errno(int number, String text) {
        this.number = number;
        this.text = text;
    }

    /** The positive errno number, as in {@code <asm-generic/errno-base.h>}. */
    public int number() {
        return number;
    }

    /** What glibc's {@code strerror} prints for this errno. */
    public String strerror() {
        return text;
    }

    /** The errno with this number, or {@code null} if dmd never reports it. */
    public static Errno ofNumber(int number) {
        return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }
}
