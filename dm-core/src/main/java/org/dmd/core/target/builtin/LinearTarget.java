package org.dmd.core.target.builtin;

import java.util.List;
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
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code linear <dev> <offset>}: maps the target onto a range of one device. Immutable.
 * Table text {@code MAJ:MIN OFFSET}; status empty. Every bio is remapped to {@code offset} plus its
 * sector in the target ({@code dm-linear.c: linear_map}); one flush bio goes to the device.
 */
public final class LinearTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("linear", Version.of(1, 5, 0), Set.of(), LinearTarget::construct);

    private final LinearMapping mapping;
    private final long length;

    private LinearTarget(LinearMapping mapping, long length) {
        this.mapping = mapping;
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() != 2) {
            throw TargetErrors.invalid("Invalid argument count");
        }
        return new LinearTarget(LinearMapping.parse(context, args.get(0), args.get(1)), context.length());
    }

    @Override
    public String table() {
        return mapping.toString();
    }

    @Override
    public MapResult map(Bio bio) {
        return bio.remap(mapping.device(), mapping.start() + bio.targetSector());
    }

    @Override
    public int flushBios() {
        return 1;
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(mapping.area(length));
    }
}
