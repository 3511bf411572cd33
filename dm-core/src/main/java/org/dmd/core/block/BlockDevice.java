package org.dmd.core.block;

import org.dmd.core.target.TableDevice;

/**
 * An open underlying block device: a loop device or a mapped device opened by a table. Closing it
 * drops the open (and may run a deferred removal of a mapped device); close it exactly once.
 */
public interface BlockDevice extends TableDevice, AutoCloseable {

    @Override
    void close();
}
