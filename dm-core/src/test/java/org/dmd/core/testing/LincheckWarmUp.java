package org.dmd.core.testing;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * Initialises, outside Lincheck's managed executions, the JDK classes that dmd's error paths load
 * lazily. Lincheck 3.7's model checker cannot run the first {@code String.format} of a JVM (it
 * initialises the CLDR locale provider, and the checker reports {@code NoClassDefFoundError} and
 * a spurious hang); every {@link DmException} with arguments formats its message. Call it from a
 * Lincheck test's static initialiser.
 */
public final class LincheckWarmUp {

    private LincheckWarmUp() {
    }

    public static void run() {
        new DmException(Errno.EBUSY, "warm-up %d %s %x", 1, "s", 2L).toString();
    }
}
