package org.dmd.core.device;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One open of a mapped block device, as a process holding /dev/dm-N open. Closing it is the
 * block device's release: the last close of a device marked for deferred removal removes it.
 */
public final class OpenDevice implements AutoCloseable {

    private final Lifecycle lifecycle;
    private final MappedDevice device;
    private final AtomicBoolean closed = new AtomicBoolean();

    OpenDevice(Lifecycle lifecycle, MappedDevice device) {
        this.lifecycle = lifecycle;
        this.device = device;
    }

    public MappedDevice device() {
        return device;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            lifecycle.close(device);
        }
    }
}
