package org.dmd.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.dmd.core.block.LoopDevices;
import org.dmd.core.minor.DeviceNumber;

/**
 * dmd's block major for mapped devices. It must not be one the host uses for block devices: libdm
 * reads sysfs by {@code MAJ:MIN}, and a host device with the same numbers would answer for a dmd
 * device (on some machines 253 is zram). By default it is taken as the kernel takes a dynamic
 * block major ({@code block/genhd.c: __register_blkdev} with major 0): the highest one from 254
 * down that the host's {@code /proc/devices} does not list under "Block devices:". An explicit
 * {@code --major N} (1..4095, not 7, which dmd's own loop devices have) is used as given, with a
 * warning if the host lists it. Stateless.
 */
final class BlockMajor {

    static final Path PROC_DEVICES = Path.of("/proc/devices");
    /** The top of the kernel's dynamic block-major range. */
    static final int DYNAMIC_MAX = 254;

    private BlockMajor() {
    }

    /**
     * The major to use: {@code requested} if not null (validated), else the dynamic choice.
     *
     * @param warn told when {@code requested} is a host block major, or {@code devices} cannot be read
     * @throws IllegalArgumentException for a requested major out of range, or no free dynamic major
     */
    static int choose(Integer requested, Path devices, Consumer<String> warn) {
        Map<Integer, String> host = hostBlockMajors(devices, warn);
        if (requested != null) {
            int major = requested;
            if (major < 1 || major > DeviceNumber.MAX_MAJOR) {
                throw new IllegalArgumentException("--major " + major + " is outside 1.." + DeviceNumber.MAX_MAJOR);
            }
            if (major == LoopDevices.LOOP_MAJOR) {
                throw new IllegalArgumentException("--major " + major + " is the major of dmd's loop devices");
            }
            if (host.containsKey(major)) {
                warn.accept(String.format("block major %d is also the host's %s: what libdm reads about dmd's devices "
                        + "from /sys/dev/block/%d:MINOR is the host's", major, host.get(major), major));
            }
            return major;
        }
        for (int major = DYNAMIC_MAX; major > 0; major--) {
            if (major != LoopDevices.LOOP_MAJOR && !host.containsKey(major)) {
                return major;
            }
        }
        throw new IllegalArgumentException("no free block major in 1.." + DYNAMIC_MAX + " on this host; use --major");
    }

    /** The "Block devices:" section of {@code devices}: major to driver name; empty if it cannot be read. */
    static Map<Integer, String> hostBlockMajors(Path devices, Consumer<String> warn) {
        List<String> lines;
        try {
            lines = Files.readAllLines(devices);
        } catch (IOException e) {
            warn.accept("cannot read " + devices + " (" + e.getMessage() + "): assuming the host has no block majors");
            return Map.of();
        }
        return parse(lines);
    }

    static Map<Integer, String> parse(List<String> lines) {
        Map<Integer, String> majors = new TreeMap<>();
        boolean block = false;
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.endsWith(":")) {
                block = trimmed.equals("Block devices:");
                continue;
            }
            String[] fields = trimmed.split("\\s+", 2);
            if (block && fields.length == 2 && fields[0].matches("[0-9]{1,4}")) {
                majors.put(Integer.parseInt(fields[0]), fields[1]);
            }
        }
        return majors;
    }
}
