package org.dmd.daemon;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.io.DeviceIo;

/**
 * NBD exports over in-memory devices, for the protocol tests: each device is a byte array behind
 * the {@link DeviceIo} contract (EINVAL beyond the end, EPERM when read-only), with an open count,
 * a gate that holds requests until opened, an errno to fail requests with, and a removal.
 */
final class FakeExports implements NbdExports {

    private final Map<String, Device> devices = new ConcurrentHashMap<>();

    Device add(String name, int bytes, boolean readOnly) {
        Device device = new Device(name, bytes, readOnly);
        devices.put(name, device);
        return device;
    }

    /** A device without a live table: listed by the core, refused by {@link #open}. */
    void addTableless(String name) {
        devices.put(name, new Device(name, 0, false));
    }

    Device device(String name) {
        return devices.get(name);
    }

    @Override
    public Export open(String name) throws DmException {
        Device device = devices.get(name);
        if (device == null || device.removed.isDone()) {
            throw new DmException(Errno.ENXIO, "device %s does not exist", name);
        }
        if (device.memory.length == 0) {
            throw new DmException(Errno.ENXIO, "device %s has no live table", name);
        }
        device.opens.incrementAndGet();
        return new Opened(device);
    }

    @Override
    public List<String> list() {
        List<String> names = new ArrayList<>();
        devices.values().stream().filter(d -> d.memory.length > 0 && !d.removed.isDone()).map(d -> d.name).sorted()
                .forEach(names::add);
        return names;
    }

    private record Opened(Device device) implements Export {
        @Override
        public String name() {
            return device.name;
        }

        @Override
        public String description() {
            return "fake device " + device.name;
        }

        @Override
        public DeviceIo io() {
            return device;
        }

        @Override
        public CompletableFuture<Void> gone() {
            return device.removed;
        }

        @Override
        public void close() {
            device.opens.decrementAndGet();
        }
    }

    /** One in-memory device. Its memory is guarded by itself; the gate and the failure are volatile. */
    static final class Device implements DeviceIo {
        final String name;
        final byte[] memory;
        final boolean readOnly;
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger flushes = new AtomicInteger();
        final AtomicInteger fuaWrites = new AtomicInteger();
        /** Bytes of reads and writes submitted (held or not). */
        final AtomicLong submitted = new AtomicLong();
        final CompletableFuture<Void> removed = new CompletableFuture<>();
        /** Requests wait for this before they run. */
        volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
        /** Requests fail with this errno, if set. */
        volatile Errno failure;

        Device(String name, int bytes, boolean readOnly) {
            this.name = name;
            this.memory = new byte[bytes];
            this.readOnly = readOnly;
        }

        /** Holds every request from now on until the returned future is completed. */
        CompletableFuture<Void> hold() {
            CompletableFuture<Void> held = new CompletableFuture<>();
            gate = held;
            return held;
        }

        /** Fails the requests that wait, then completes {@link #removed}, as the core's removal does. */
        void remove() {
            failure = Errno.EIO;
            gate.complete(null);
            removed.complete(null);
        }

        byte[] bytes(int offset, int length) {
            synchronized (memory) {
                byte[] out = new byte[length];
                System.arraycopy(memory, offset, out, 0, length);
                return out;
            }
        }

        @Override
        public long size() {
            return memory.length;
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        private interface Op {
            void run() throws DmException;
        }

        private CompletableFuture<Void> run(long offset, long length, boolean write, Op op) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            gate.thenRun(() -> {
                try {
                    if (failure != null) {
                        throw new DmException(failure, "injected %s", failure);
                    }
                    if (offset < 0 || offset + length > memory.length || offset % SECTOR_SIZE != 0
                            || length % SECTOR_SIZE != 0) {
                        throw new DmException(Errno.EINVAL, "beyond the end");
                    }
                    if (write && readOnly) {
                        throw new DmException(Errno.EPERM, "read-only");
                    }
                    op.run();
                    done.complete(null);
                } catch (DmException e) {
                    done.completeExceptionally(e);
                }
            });
            return done;
        }

        @Override
        public CompletableFuture<Void> read(long offset, ByteBuffer into) {
            int length = into.remaining();
            submitted.addAndGet(length);
            return run(offset, length, false, () -> {
                synchronized (memory) {
                    into.duplicate().put(memory, (int) offset, length);
                }
            });
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuffer from, boolean fua) {
            int length = from.remaining();
            submitted.addAndGet(length);
            return run(offset, length, true, () -> {
                synchronized (memory) {
                    from.duplicate().get(memory, (int) offset, length);
                }
                if (fua) {
                    fuaWrites.incrementAndGet();
                }
            });
        }

        @Override
        public CompletableFuture<Void> flush() {
            return run(0, 0, false, flushes::incrementAndGet);
        }

        @Override
        public CompletableFuture<Void> discard(long offset, long length) {
            return writeZeroes(offset, length);
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length) {
            return run(offset, length, true, () -> {
                synchronized (memory) {
                    java.util.Arrays.fill(memory, (int) offset, (int) (offset + length), (byte) 0);
                }
            });
        }
    }
}
