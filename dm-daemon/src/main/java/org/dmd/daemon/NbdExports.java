package org.dmd.daemon;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.dmd.core.errno.DmException;
import org.dmd.core.io.DeviceIo;

/**
 * What the NBD server exports: every mapped device with a live table, by name. Calls may block
 * (an open or a close takes the core's locks; the last close of a device marked for deferred
 * removal removes it), so the server makes them off its event loops.
 */
interface NbdExports {

    /**
     * Opens the device named {@code name} as a block device ({@code dm_blk_open}): ENXIO if there
     * is no such device, it is being removed, or it has no live table.
     */
    Export open(String name) throws DmException;

    /** The names of the devices that have a live table now, in the core's order. */
    List<String> list();

    /** One open of an exported device; closing it is the block device's release. */
    interface Export extends AutoCloseable {

        String name();

        /** A line for a human: what the device is. */
        String description();

        DeviceIo io();

        /** Completes once the device is removed, after every request still waiting on it has failed. */
        CompletableFuture<Void> gone();

        @Override
        void close();
    }
}
