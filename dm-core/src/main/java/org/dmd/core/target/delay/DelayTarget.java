package org.dmd.core.target.delay;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.DeviceArea;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;
import org.dmd.core.target.support.BasicTargetType;
import org.dmd.core.target.support.LinearMapping;
import org.dmd.core.target.support.TargetErrors;

/**
 * {@code delay <dev> <offset> <delay> [<write dev> <write offset> <write delay>
 * [<flush dev> <flush offset> <flush delay>]]}: delays reads, writes and flushes, each class
 * possibly going to its own device. With three arguments all classes share them; with six,
 * flushes follow the write class. The table prints as many classes as were given; the status is
 * the number of delayed reads, writes and flushes in flight, {@code 0 0 0} at rest. Immutable.
 */
public final class DelayTarget implements Target {

    public static final TargetType TYPE =
            new BasicTargetType("delay", Version.of(1, 5, 0), Set.of(), DelayTarget::construct);

    /** One delay class: where its I/O goes and how many milliseconds it waits. */
    private record DelayClass(LinearMapping mapping, long delayMillis) {

        static DelayClass parse(TargetContext context, List<String> args) throws DmException {
            long start = TargetErrors.sector(args.get(1), "Invalid device sector");
            long delay = TargetErrors.unsignedInt(args.get(2), "Invalid delay");
            return new DelayClass(
                    new LinearMapping(TargetErrors.device(context, args.get(0), "Device lookup failed"), start),
                    delay);
        }

        @Override
        public String toString() {
            return mapping + " " + delayMillis;
        }
    }

    private final List<DelayClass> given;
    private final DelayClass read;
    private final DelayClass write;
    private final DelayClass flush;
    private final long length;

    private DelayTarget(List<DelayClass> given, long length) {
        this.given = List.copyOf(given);
        this.read = given.get(0);
        this.write = given.get(Math.min(1, given.size() - 1));
        this.flush = given.get(given.size() - 1);
        this.length = length;
    }

    static Target construct(TargetContext context, List<String> args) throws DmException {
        if (args.size() != 3 && args.size() != 6 && args.size() != 9) {
            throw TargetErrors.invalid("Requires exactly 3, 6 or 9 arguments");
        }
        List<DelayClass> given = new ArrayList<>();
        for (int i = 0; i < args.size(); i += 3) {
            given.add(DelayClass.parse(context, args.subList(i, i + 3)));
        }
        return new DelayTarget(given, context.length());
    }

    @Override
    public String table() {
        return String.join(" ", given.stream().map(DelayClass::toString).toList());
    }

    @Override
    public String status() {
        return "0 0 0";
    }

    @Override
    public List<DeviceArea> areas() {
        return List.of(read.mapping().area(length), write.mapping().area(length), flush.mapping().area(length));
    }
}
