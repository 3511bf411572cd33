package org.dmd.core.target.flakey;

import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.ArgBounds;
import org.dmd.core.target.support.ArgSet;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.LinearMapping;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code flakey <dev> <offset> <up interval> <down interval> [<#features> [<feature>]*]}: passes
 * I/O for {@code up} seconds, then misbehaves for {@code down} seconds as its features say:
 * {@code error_reads}, {@code drop_writes}, {@code error_writes},
 * {@code corrupt_bio_byte <Nth> <r|w> <value> <flags>}, {@code random_read_corrupt <p>},
 * {@code random_write_corrupt <p>} (probability out of 10^9). With no features it errors all
 * I/O, which its table then shows as {@code error_reads error_writes}. Status is empty. Immutable.
 */
public final class FlakeyTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("flakey", Version.of(1, 5, 0), Set.of(), FlakeyTarget::construct);

    private static final ArgBounds UP = new ArgBounds(0, ArgBounds.UINT_MAX, "Invalid up interval");
    private static final ArgBounds DOWN = new ArgBounds(0, ArgBounds.UINT_MAX, "Invalid down interval");
    private static final ArgBounds FEATURE_COUNT = new ArgBounds(0, 11, "Invalid number of feature args");
    private static final ArgBounds CORRUPT_BYTE = new ArgBounds(1, ArgBounds.UINT_MAX, "Invalid corrupt bio byte");
    private static final ArgBounds CORRUPT_VALUE =
            new ArgBounds(0, 255, "Invalid corrupt value to write into bio byte (0-255)");
    private static final ArgBounds CORRUPT_FLAGS =
            new ArgBounds(0, ArgBounds.UINT_MAX, "Invalid corrupt bio flags mask");
    private static final ArgBounds PROBABILITY = new ArgBounds(0, 1_000_000_000L, "Invalid random corrupt argument");

    /** {@code corrupt_bio_byte}: which byte of matching bios to overwrite, in which direction. */
    private record CorruptBioByte(long nthByte, char direction, long value, long flags) {
        @Override
        public String toString() {
            return "corrupt_bio_byte " + nthByte + " " + direction + " " + value + " " + flags;
        }
    }

    /** The parsed feature set; {@code corrupt} is null and probabilities 0 when absent. */
    private static final class Features {
        boolean errorReads;
        boolean dropWrites;
        boolean errorWrites;
        CorruptBioByte corrupt;
        long randomReadCorrupt;
        long randomWriteCorrupt;
    }

    private final LinearMapping mapping;
    private final long upInterval;
    private final long downInterval;
    private final boolean errorReads;
    private final boolean dropWrites;
    private final boolean errorWrites;
    private final CorruptBioByte corrupt;
    private final long randomReadCorrupt;
    private final long randomWriteCorrupt;
    private final long length;

    private FlakeyTarget(LinearMapping mapping, long up, long down, Features features, long length) {
        this.mapping = mapping;
        this.upInterval = up;
        this.downInterval = down;
        this.errorReads = features.errorReads;
        this.dropWrites = features.dropWrites;
        this.errorWrites = features.errorWrites;
        this.corrupt = features.corrupt;
        this.randomReadCorrupt = features.randomReadCorrupt;
        this.randomWriteCorrupt = features.randomWriteCorrupt;
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() < 4) {
            throw TargetErrors.invalid("Invalid argument count");
        }
        ArgSet as = new ArgSet(args);
        String devicePath = as.shift();
        long start = TargetErrors.sector(as.shift(), "Invalid device sector");
        long up = as.readUnsigned(UP);
        long down = as.readUnsigned(DOWN);
        long total = (up + down) & ArgBounds.UINT_MAX; // unsigned int arithmetic, as the kernel's
        if (total == 0) {
            throw TargetErrors.invalid("Total (up + down) interval is zero");
        }
        if (total < up) {
            throw TargetErrors.invalid("Interval overflow");
        }
        Features features = parseFeatures(as);
        LinearMapping mapping =
                new LinearMapping(TargetErrors.device(context, devicePath, "Device lookup failed"), start);
        return new FlakeyTarget(mapping, up, down, features, context.length());
    }

    private static Features parseFeatures(ArgSet as) throws DmException {
        Features f = new Features();
        int count = as.isEmpty() ? 0 : as.readGroup(FEATURE_COUNT);
        while (count > 0) {
            String name = as.shift();
            count--;
            if (name.equalsIgnoreCase("error_reads")) {
                f.errorReads = setOnce(f.errorReads, "error_reads");
            } else if (name.equalsIgnoreCase("drop_writes")) {
                f.dropWrites = setOnce(f.dropWrites, "drop_writes");
                if (f.errorWrites) {
                    throw TargetErrors.invalid("Feature drop_writes conflicts with feature error_writes");
                }
            } else if (name.equalsIgnoreCase("error_writes")) {
                f.errorWrites = setOnce(f.errorWrites, "error_writes");
                if (f.dropWrites) {
                    throw TargetErrors.invalid("Feature error_writes conflicts with feature drop_writes");
                }
            } else if (name.equalsIgnoreCase("corrupt_bio_byte")) {
                if (f.corrupt != null) {
                    throw TargetErrors.invalid("Feature corrupt_bio_byte duplicated");
                }
                if (count < 4) {
                    throw TargetErrors.invalid("Feature corrupt_bio_byte requires 4 parameters");
                }
                f.corrupt = parseCorruptBioByte(as);
                count -= 4;
            } else if (name.equalsIgnoreCase("random_read_corrupt")) {
                f.randomReadCorrupt = readProbability(as, "random_read_corrupt", f.randomReadCorrupt, count);
                count--;
            } else if (name.equalsIgnoreCase("random_write_corrupt")) {
                f.randomWriteCorrupt = readProbability(as, "random_write_corrupt", f.randomWriteCorrupt, count);
                count--;
            } else {
                throw TargetErrors.invalid("Unrecognised flakey feature requested");
            }
        }
        checkCompatible(f);
        if (f.corrupt == null && !f.errorReads && !f.dropWrites && !f.errorWrites
                && f.randomReadCorrupt == 0 && f.randomWriteCorrupt == 0) {
            // No behaviour asked for: the kernel errors all I/O while down.
            f.errorReads = true;
            f.errorWrites = true;
        }
        return f;
    }

    private static boolean setOnce(boolean alreadySet, String feature) throws DmException {
        if (alreadySet) {
            throw TargetErrors.invalid("Feature " + feature + " duplicated");
        }
        return true;
    }

    private static CorruptBioByte parseCorruptBioByte(ArgSet as) throws DmException {
        long nthByte = as.readUnsigned(CORRUPT_BYTE);
        String direction = as.shift();
        char rw;
        if (direction.equalsIgnoreCase("w")) {
            rw = 'w';
        } else if (direction.equalsIgnoreCase("r")) {
            rw = 'r';
        } else {
            throw TargetErrors.invalid("Invalid corrupt bio direction (r or w)");
        }
        long value = as.readUnsigned(CORRUPT_VALUE);
        long flags = as.readUnsigned(CORRUPT_FLAGS);
        return new CorruptBioByte(nthByte, rw, value, flags);
    }

    private static long readProbability(ArgSet as, String feature, long current, int remaining) throws DmException {
        // A feature given with probability 0 counts as absent, so it may be given again.
        if (current != 0) {
            throw TargetErrors.invalid("Feature " + feature + " duplicated");
        }
        if (remaining == 0) {
            throw TargetErrors.invalid("Feature " + feature + " requires a parameter");
        }
        return as.readUnsigned(PROBABILITY);
    }

    private static void checkCompatible(Features f) throws DmException {
        boolean corruptsWrites = (f.corrupt != null && f.corrupt.direction() == 'w') || f.randomWriteCorrupt != 0;
        boolean corruptsReads = (f.corrupt != null && f.corrupt.direction() == 'r') || f.randomReadCorrupt != 0;
        if (f.dropWrites && corruptsWrites) {
            throw TargetErrors.invalid("drop_writes is incompatible with random_write_corrupt or "
                    + "corrupt_bio_byte with the WRITE flag set");
        }
        if (f.errorWrites && corruptsWrites) {
            throw TargetErrors.invalid("error_writes is incompatible with random_write_corrupt or "
                    + "corrupt_bio_byte with the WRITE flag set");
        }
        if (f.errorReads && corruptsReads) {
            throw TargetErrors.invalid("error_reads is incompatible with random_read_corrupt or "
                    + "corrupt_bio_byte with the READ flag set");
        }
    }

    @Override
    public String table() {
        int count = (errorReads ? 1 : 0) + (dropWrites ? 1 : 0) + (errorWrites ? 1 : 0)
                + (corrupt != null ? 5 : 0) + (randomReadCorrupt > 0 ? 2 : 0) + (randomWriteCorrupt > 0 ? 2 : 0);
        StringBuilder text = new StringBuilder()
                .append(mapping).append(' ').append(upInterval).append(' ').append(downInterval)
                .append(' ').append(count);
        if (errorReads) {
            text.append(" error_reads");
        }
        if (dropWrites) {
            text.append(" drop_writes");
        } else if (errorWrites) {
            text.append(" error_writes");
        }
        if (corrupt != null) {
            text.append(' ').append(corrupt);
        }
        if (randomReadCorrupt > 0) {
            text.append(" random_read_corrupt ").append(randomReadCorrupt);
        }
        if (randomWriteCorrupt > 0) {
            text.append(" random_write_corrupt ").append(randomWriteCorrupt);
        }
        return text.toString();
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(mapping.area(length));
    }
}
