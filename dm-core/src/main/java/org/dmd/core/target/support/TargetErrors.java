package org.dmd.core.target.support;

import java.util.OptionalLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.TargetContext;

/**
 * How constructors fail the kernel's way: the errno, and the {@code ti->error} text as the
 * message (followed by the underlying reason where there is one).
 */
public final class TargetErrors {

    private TargetErrors() {
    }

    /** EINVAL with the kernel's {@code ti->error} text. */
    public static DmException invalid(String error) {
        return new DmException(Errno.EINVAL, error);
    }

    /** EINVAL with the kernel's {@code ti->error} text and the reason underneath it. */
    public static DmException invalid(String error, String reason) {
        return new DmException(Errno.EINVAL, error + ": " + reason);
    }

    /** The same errno as {@code cause}, reported under the kernel's {@code ti->error} text. */
    public static DmException relabel(String error, DmException cause) {
        return new DmException(cause.errno(), error + ": " + cause.getMessage());
    }

    /**
     * Opens a device ({@code dm_get_device}); a failure keeps the lookup's errno and is reported
     * under the target's own error text.
     */
    public static TableDevice device(TargetContext context, String path, String error) throws DmException {
        try {
            return context.device(path);
        } catch (DmException e) {
            throw relabel(error, e);
        }
    }

    /** Reads a sector number ({@code sscanf("%llu%c")}) or fails with EINVAL and {@code error}. */
    public static long sector(String text, String error) throws DmException {
        return orInvalid(Numbers.scanSector(text), error);
    }

    /** Reads an unsigned 32-bit number ({@code sscanf("%u%c")}) or fails with EINVAL and {@code error}. */
    public static long unsignedInt(String text, String error) throws DmException {
        return orInvalid(Numbers.scanUnsignedInt(text), error);
    }

    private static long orInvalid(OptionalLong value, String error) throws DmException {
        if (value.isEmpty()) {
            throw invalid(error);
        }
        return value.getAsLong();
    }
}
