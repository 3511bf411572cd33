package org.dmd.core.target.multipath;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.PathSelector;
import org.dmd.core.target.TableDevice;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code io-affinity}: each path takes one argument, a hexadecimal CPU mask (32-bit groups
 * separated by commas, as {@code cpumask_parse} reads it) of the CPUs whose I/O it serves. A CPU
 * already claimed by an earlier path of the group stays with it; a path that claims no new CPU
 * is refused. The table prints each path's mask the way the kernel's {@code %*pb} does, for as
 * many bits as there are CPUs; the per-path status is the selector's count of I/Os submitted on
 * unmapped CPUs, 0 at rest. The module announces no version: 0.0.0.
 *
 * <p>The type is immutable. An instance's CPU map is written only while the multipath target is
 * constructed; it is guarded by the instance's monitor.
 */
public final class IoAffinitySelectorType extends SelectorType {

    private static final int CHUNK_BITS = 32;

    private final int cpuCount;

    /** A selector type for a machine with {@code cpuCount} possible CPUs ({@code nr_cpu_ids}). */
    public IoAffinitySelectorType(int cpuCount) {
        super("io-affinity", Version.of(0, 0, 0), 1, 1);
        if (cpuCount < 1) {
            throw new IllegalArgumentException("cpuCount " + cpuCount);
        }
        this.cpuCount = cpuCount;
    }

    /** A selector type for the CPUs of this JVM's machine. */
    public static IoAffinitySelectorType forThisMachine() {
        return new IoAffinitySelectorType(Runtime.getRuntime().availableProcessors());
    }

    @Override
    public PathSelector create(List<String> args) {
        return new PathSelector() {
            /** CPUs already mapped to a path of this group; guarded by this. */
            private final BitSet mapped = new BitSet();

            @Override
            public synchronized Path addPath(TableDevice device, List<String> pathArgs) throws DmException {
                if (pathArgs.size() != 1) {
                    throw TargetErrors.invalid(error("invalid number of arguments"));
                }
                BitSet mask = parseMask(pathArgs.get(0))
                        .orElseThrow(() -> TargetErrors.invalid(error("invalid cpumask")));
                BitSet claimed = (BitSet) mask.clone();
                claimed.andNot(mapped);
                if (claimed.isEmpty()) {
                    throw TargetErrors.invalid(error("No new/valid CPU mapping found"));
                }
                mapped.or(claimed);
                return new SelectorPath(List.of(formatMask(mask)), List.of("0"));
            }

            @Override
            public List<String> arguments() {
                return NO_ARGUMENTS;
            }
        };
    }

    /**
     * {@code cpumask_parse}: comma-separated groups of at most 8 hex digits, the last group
     * holding CPUs 0-31; empty groups are 0; white space is ignored. A bit beyond the last CPU
     * does not parse (EOVERFLOW in the kernel).
     */
    Optional<BitSet> parseMask(String text) {
        String[] chunks = text.replaceAll("\\s", "").split(",", -1);
        BitSet mask = new BitSet();
        for (int i = 0; i < chunks.length; i++) {
            String chunk = chunks[chunks.length - 1 - i];
            if (chunk.length() > 8 || !chunk.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return Optional.empty();
            }
            long value = chunk.isEmpty() ? 0 : Long.parseLong(chunk, 16);
            for (int bit = 0; bit < CHUNK_BITS; bit++) {
                if ((value & (1L << bit)) != 0) {
                    mask.set(i * CHUNK_BITS + bit);
                }
            }
        }
        return mask.length() > cpuCount ? Optional.empty() : Optional.of(mask);
    }

    /** {@code %*pb} over {@code cpuCount} bits: zero-padded hex, 32-bit groups, most significant first. */
    String formatMask(BitSet mask) {
        int chunks = (cpuCount + CHUNK_BITS - 1) / CHUNK_BITS;
        int firstChunkBits = cpuCount % CHUNK_BITS == 0 ? CHUNK_BITS : cpuCount % CHUNK_BITS;
        StringBuilder text = new StringBuilder();
        for (int i = chunks - 1; i >= 0; i--) {
            long value = 0;
            for (int bit = 0; bit < CHUNK_BITS; bit++) {
                if (mask.get(i * CHUNK_BITS + bit)) {
                    value |= 1L << bit;
                }
            }
            int digits = i == chunks - 1 ? (firstChunkBits + 3) / 4 : CHUNK_BITS / 4;
            if (text.length() > 0) {
                text.append(',');
            }
            String hex = Long.toHexString(value);
            text.append("0".repeat(Math.max(0, digits - hex.length()))).append(hex);
        }
        return text.toString();
    }
}
