package org.dmd.core.device;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmd.core.io.DeviceIo;

/**
 * One open of a mapped block device, as a process holding /dev/dm-N open. Closing it is the
 * block device's release: the last close of a device marked for deferred removal removes it.
 */
public final class OpenDevice implements AutoCloseable {

    private final Lifecycle lifecycle;
    private final MappedDevice device;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final DeviceIo io;

    OpenDevice(Lifecycle lifecycle, MappedDevice device) {
        this.lifecycle = lifecycle;
        this.device = device;
        this.io = new BlockIo(device);
    }

    public MappedDevice device() {
        return device;
    }

    /**
     * The I/O path of this open: requests submitted to the block device. It stays usable after
     * {@link #close()} (requests of a closed open fail with EIO once the device is removed).
     */
    public DeviceIo io() {
        return io;
    }

    /** Completes once the device is removed, after every request still waiting on it has failed. */
    public CompletableFuture<Void> gone() {
        return device.gone();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            lifecycle.close(device);
        }
    }
}
