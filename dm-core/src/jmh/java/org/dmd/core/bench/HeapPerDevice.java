package org.dmd.core.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.dmd.core.control.DeviceMapper;
import org.dmd.core.control.Requests;
import org.dmd.core.errno.DmException;

/**
 * Goal (c): heap retained per idle, table-less device. Creates N devices (100,000 by default)
 * through {@link DeviceMapper#devCreate}, forces full collections before and after, and prints the
 * used-heap delta divided by N. With {@code -Dhistogram=true} it also prints the top of the class
 * histogram (jcmd GC.class_histogram) to show where the bytes go. Run with a fixed heap and the
 * serial collector for a stable figure.
 */
public final class HeapPerDevice {

    private HeapPerDevice() {
    }

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        DeviceMapper dm = DeviceMapper.builder().build();
        create(dm, "warm-up-", 1_000);
        remove(dm, "warm-up-", 1_000);
        long before = usedAfterGc();
        create(dm, "dev-", devices);
        long after = usedAfterGc();
        double perDevice = (after - before) / (double) devices;
        System.out.printf("heap-per-device: %d devices, used heap %d -> %d bytes, %.1f bytes per device (goal < 1024)%n",
                devices, before, after, perDevice);
        if (Boolean.getBoolean("histogram")) {
            printHistogram();
        }
        if (dm.listDevices(new Requests.ListDevices(null, null, Set.of())).devices().size() != devices) {
            throw new IllegalStateException("devices went missing");
        }
    }

    private static void create(DeviceMapper dm, String prefix, int count) throws DmException {
        for (int i = 0; i < count; i++) {
            dm.devCreate(new Requests.DevCreate(String.format("%s%06d", prefix, i), null, null, Set.of(), 0));
        }
    }

    private static void remove(DeviceMapper dm, String prefix, int count) throws DmException {
        for (int i = 0; i < count; i++) {
            dm.devRemove(new Requests.DevRemove(String.format("%s%06d", prefix, i), null, null, Set.of(), 0));
        }
    }

    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static void printHistogram() throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        try (InputStream out = jcmd.getInputStream()) {
            String[] lines = new String(out.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < Math.min(lines.length, 28); i++) {
                System.out.println(lines[i]);
            }
        }
        jcmd.waitFor();
    }
}
