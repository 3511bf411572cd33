package org.dmd.core.registry;

import org.dmd.core.errno.DmException;

/**
 * The kernel's {@code request_module}: runs {@code modprobe -q NAME} synchronously and reports
 * the tool's exit status. A registry calls it on a miss with no lock held and then looks again,
 * because success does not mean the type now exists (the module may have failed in init and the
 * tool still said OK).
 */
@FunctionalInterface
public interface ModuleRequester {

    /**
     * @param name the formatted module name, e.g. {@code dm-mirror} or {@code dm-log-clustered}
     * @return 0 if the tool succeeded, otherwise its positive exit status
     * @throws DmException ENAMETOOLONG (name over 55 characters), ETIME (too many concurrent
     *                     requests for too long), EINTR (interrupted while waiting)
     */
    int requestModule(String name) throws DmException;
}
