package org.dmd.core.target.builtin;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.io.Bio;
import org.dmd.core.io.MapResult;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.LinearMapping;
import org.dmd.core.target.support.Numbers;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code striped <#stripes> <chunk size> [<dev> <offset>]+}: spreads the target over the stripes
 * in chunks. Table text {@code N CHUNK MAJ:MIN OFFSET ...}; status {@code N MAJ:MIN ... 1 A...}
 * with one {@code A} per stripe (dmd does not count stripe errors, so a stripe is never {@code D}).
 * Immutable.
 *
 * <p>Data path ({@code dm-stripe.c: stripe_map_sector}): core splits bios at chunk boundaries
 * ({@link #maxIoLen()}), so each lies in one chunk: chunk {@code c} of the target is chunk
 * {@code c / stripes} of stripe {@code c % stripes}. A flush sends one bio to every stripe.
 * Discards and write-zeroes are split and mapped like writes (the kernel sends one per stripe
 * covering that stripe's part of the range: the same sectors end up discarded).
 */
public final class StripedTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("striped", Version.of(1, 7, 0), Set.of(), StripedTarget::construct);

    private static final String BAD_DESTINATION = "Couldn't parse stripe destination";

    private final long chunkSize;
    private final long stripeWidth;
    private final List<LinearMapping> stripes;

    private StripedTarget(long chunkSize, long stripeWidth, List<LinearMapping> stripes) {
        this.chunkSize = chunkSize;
        this.stripeWidth = stripeWidth;
        this.stripes = List.copyOf(stripes);
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() < 2) {
            throw TargetErrors.invalid("Not enough arguments");
        }
        long stripeCount = positive(Numbers.kstrtouint(args.get(0)), "Invalid stripe count");
        long chunkSize = positive(Numbers.kstrtouint(args.get(1)), "Invalid chunk_size");
        if (context.length() % stripeCount != 0) {
            throw TargetErrors.invalid("Target length not divisible by number of stripes");
        }
        long width = context.length() / stripeCount;
        if (width % chunkSize != 0) {
            throw TargetErrors.invalid("Target length not divisible by chunk size");
        }
        if (args.size() != 2 + 2 * stripeCount) {
            throw TargetErrors.invalid("Not enough destinations specified");
        }
        List<LinearMapping> stripes = new ArrayList<>();
        for (int i = 2; i < args.size(); i += 2) {
            long start = TargetErrors.sector(args.get(i + 1), BAD_DESTINATION);
            stripes.add(new LinearMapping(TargetErrors.device(context, args.get(i), BAD_DESTINATION), start));
        }
        return new StripedTarget(chunkSize, width, stripes);
    }

    private static long positive(OptionalLong value, String error) throws DmException {
        if (value.isEmpty() || value.getAsLong() == 0) {
            throw TargetErrors.invalid(error);
        }
        return value.getAsLong();
    }

    @Override
    public String table() {
        StringBuilder text = new StringBuilder().append(stripes.size()).append(' ').append(chunkSize);
        stripes.forEach(stripe -> text.append(' ').append(stripe));
        return text.toString();
    }

    @Override
    public String status() {
        StringBuilder text = new StringBuilder().append(stripes.size()).append(' ');
        stripes.forEach(stripe -> text.append(stripe.device().number()).append(' '));
        return text.append("1 ").append("A".repeat(stripes.size())).toString();
    }

    @Override
    public MapResult map(Bio bio) {
        if (bio.op() == Bio.Op.FLUSH) {
            LinearMapping stripe = stripes.get(bio.targetBioNr());
            return bio.remap(stripe.device(), stripe.start());
        }
        long offset = bio.targetSector();
        long chunk = offset / chunkSize;
        LinearMapping stripe = stripes.get((int) (chunk % stripes.size()));
        return bio.remap(stripe.device(), stripe.start() + chunk / stripes.size() * chunkSize + offset % chunkSize);
    }

    @Override
    public long maxIoLen() {
        return chunkSize;
    }

    @Override
    public int flushBios() {
        return stripes.size();
    }

    @Override
    public List<DeviceArea> areas() {
        return stripes.stream().map(stripe -> stripe.area(stripeWidth)).toList();
    }
}
