package org.dmd.core.block;

import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.dmd.core.io.Bio;
import org.dmd.core.minor.DeviceNumber;
import org.dmd.core.target.TableDevice;

/**
 * An open underlying block device: a loop device or a mapped device opened by a table. Closing it
 * drops the open (and may run a deferred removal of a mapped device); close it exactly once.
 */
public interface BlockDevice extends TableDevice, AutoCloseable {

    @Override
    void close();

    /**
     * An open device of {@code number} whose size is read from {@code sectors} at each call (a
     * mapped device's size follows its live table), whose bios go to {@code submit}, closed by
     * {@code close}, shown as {@code name}.
     */
    static BlockDevice open(DeviceNumber number, LongSupplier sectors, Consumer<Bio> submit, Runnable close,
                            String name) {
        return new BlockDevice() {
            @Override
            public DeviceNumber number() {
                return number;
            }

            @Override
            public long sectors() {
                return sectors.getAsLong();
            }

            @Override
            public void submit(Bio bio) {
                submit.accept(bio);
            }

            @Override
            public void close() {
                close.run();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
