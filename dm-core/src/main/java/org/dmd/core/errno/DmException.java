package org.dmd.core.errno;

/**
 * A failed device-mapper operation: the errno the kernel would return and a sentence that tells
 * a person what went wrong ({@link #getMessage()}).
 */
public class DmException extends Exception {

    private final Errno errno;

    public DmException(Errno errno, String detail) {
        super(detail, null, false, false);
        this.errno = errno;
    }

    public DmException(Errno errno, String format, Object... args) {
        this(errno, String.format(format, args));
    }

    public Errno errno() {
        return errno;
    }

    /** The same failure reported as a different errno (e.g. EBUSY inside, ENXIO at the ioctl). */
    public DmException as(Errno outer) {
        return new DmException(outer, getMessage());
    }

    @Override
    public String toString() {
        return errno + ": " + getMessage();
    }
}
