package org.dmd.core.minor;

import static org.dmd.core.testing.LincheckScenario.op;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kotlin.Unit;
import kotlin.jvm.functions.Function1;
import org.dmd.core.errno.DmException;
import org.dmd.core.testing.LincheckScenario;
import org.dmd.core.testing.LincheckWarmUp;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of {@link MinorTable} against {@link Spec}, a sequential model of the IDR with
 * placeholders, holder counts and FREEING (dm.c: next_free_minor, dm_get_md, dm_put; the 2006 dm reference-counting series).
 *
 * <p>Who may call what: an <em>owner</em> reserves minors, publishes entries on the minors it
 * reserved, drops its creator reference and releases minors whose entry it published once the
 * last holder is gone; a <em>reader</em> looks minors up (taking a reference) and puts the
 * references it holds; anyone may reserve a minor for good (a competing creator that never
 * publishes) or ask whether a minor is free. The owner's and the reader's bookkeeping is confined
 * to their thread (a Lincheck non-parallel group), so every operation is meaningful in any order:
 * a call the protocol forbids (publishing a minor one did not reserve, putting a reference one
 * does not hold, releasing a minor still held) returns a distinguishable result instead of
 * reaching the table.
 */
@Param(name = "minor", gen = IntGen.class, conf = "0:1")
public class MinorTableLincheckTest {

    static final String OK = "OK";
    static final String NOT_RESERVED = "NOT_RESERVED";
    static final String HELD = "HELD";
    static final String NO_REF = "NO_REF";
    static final String LAST = "LAST";
    static final String NOT_LAST = "NOT_LAST";
    static final String FOUND = "FOUND";
    static final String ABSENT = "ABSENT";

    static {
        LincheckWarmUp.run();
    }

    static final class TestEntry extends MinorTable.Entry {
        TestEntry(int minor) {
            super(minor);
        }
    }

    private final MinorTable<TestEntry> table = new MinorTable<>();

    // The owner's bookkeeping: touched only by operations of the "owner" group.
    private final Set<Integer> ownerReserved = new HashSet<>();
    private final Map<Integer, TestEntry> ownerEntries = new HashMap<>();
    private final Set<Integer> creatorRefs = new HashSet<>();

    // The reader's references: touched only by operations of the "reader" group.
    private final Map<Integer, Deque<TestEntry>> readerRefs = new HashMap<>();

    /** Every scenario starts where the races are: minor 0 published (creator's reference held), minor 1 reserved. */
    public MinorTableLincheckTest() {
        try {
            ownerReserve(0);
            publish(0);
            ownerReserve(1);
        } catch (RuntimeException e) {
            throw new IllegalStateException("initial state", e);
        }
    }

    // ------------------------------------------------------------------ owner

    @Operation(nonParallelGroup = "owner")
    public int ownerReserveAny() throws DmException {
        int minor = table.reserveAny();
        ownerReserved.add(minor);
        return minor;
    }

    @Operation(nonParallelGroup = "owner")
    public String ownerReserve(@Param(name = "minor") int minor) {
        try {
            table.reserve(minor);
        } catch (DmException e) {
            return e.errno().name();
        }
        ownerReserved.add(minor);
        return OK;
    }

    @Operation(nonParallelGroup = "owner")
    public String publish(@Param(name = "minor") int minor) {
        if (!ownerReserved.remove(minor)) {
            return NOT_RESERVED;
        }
        TestEntry entry = new TestEntry(minor);
        table.publish(entry);
        ownerEntries.put(minor, entry);
        creatorRefs.add(minor);
        return OK;
    }

    @Operation(nonParallelGroup = "owner")
    public String putCreator(@Param(name = "minor") int minor) {
        if (!creatorRefs.remove(minor)) {
            return NO_REF;
        }
        return table.put(ownerEntries.get(minor)) ? LAST : NOT_LAST;
    }

    @Operation(nonParallelGroup = "owner")
    public String release(@Param(name = "minor") int minor) {
        if (!ownerReserved.remove(minor)) {
            TestEntry entry = ownerEntries.get(minor);
            if (entry == null) {
                return NOT_RESERVED;
            }
            if (entry.holders() > 0) {
                return HELD;
            }
            ownerEntries.remove(minor);
        }
        table.release(minor);
        return OK;
    }

    // ------------------------------------------------------------------ reader

    @Operation(nonParallelGroup = "reader")
    public String get(@Param(name = "minor") int minor) {
        TestEntry entry = table.get(minor);
        if (entry == null) {
            return ABSENT;
        }
        readerRefs.computeIfAbsent(minor, m -> new ArrayDeque<>()).push(entry);
        return FOUND;
    }

    @Operation(nonParallelGroup = "reader")
    public String put(@Param(name = "minor") int minor) {
        Deque<TestEntry> held = readerRefs.get(minor);
        if (held == null || held.isEmpty()) {
            return NO_REF;
        }
        return table.put(held.pop()) ? LAST : NOT_LAST;
    }

    // ------------------------------------------------------------------ anyone

    /** A competing creator that reserves a minor and never publishes it. */
    @Operation
    public String competitorReserve(@Param(name = "minor") int minor) {
        try {
            table.reserve(minor);
            return OK;
        } catch (DmException e) {
            return e.errno().name();
        }
    }

    @Operation
    public boolean isFree(@Param(name = "minor") int minor) {
        return table.isFree(minor);
    }

    @Test
    public void modelChecking() {
        new ModelCheckingOptions()
                .iterations(8)
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .addCustomScenario(LOOKUP_VS_LAST_PUT)
                .addCustomScenario(CREATE_VS_LOOKUP_AND_REQUESTED_MINOR)
                .check(getClass());
    }

    /** dm.c: dm_get_md vs dm_put: a lookup races the creator's last put; then the minor is released. */
    private static final Function1<DSLScenarioBuilder, Unit> LOOKUP_VS_LAST_PUT = LincheckScenario.of(
                    MinorTableLincheckTest.class)
            .thread(op("putCreator", 0), op("release", 0))
            .thread(op("get", 0), op("put", 0), op("isFree", 0))
            .thread(op("competitorReserve", 0))
            .post(op("release", 0), op("isFree", 0))
            .build();

    /** dm.c: alloc_dev's idr_replace races dm_get_md and a specific_minor for the same minor. */
    private static final Function1<DSLScenarioBuilder, Unit> CREATE_VS_LOOKUP_AND_REQUESTED_MINOR =
            LincheckScenario.of(MinorTableLincheckTest.class)
                    .thread(op("publish", 1), op("putCreator", 1), op("release", 1))
                    .thread(op("get", 1), op("put", 1))
                    .thread(op("competitorReserve", 1), op("isFree", 1))
                    .build();

    @Test
    public void stress() {
        new StressOptions()
                .iterations(15)
                .invocationsPerIteration(2_000)
                .threads(3)
                .actorsPerThread(4)
                .actorsBefore(1)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }

    /** The sequential model: each minor is free, reserved (by the owner or for good), published, or dying. */
    public static final class Spec {
        private enum Kind { FREE, OWNER_RESERVED, ORPHAN, PUBLISHED, DYING }

        private final Map<Integer, Kind> kinds = new TreeMap<>();
        private final Map<Integer, Integer> holders = new HashMap<>();
        private final Set<Integer> creatorRefs = new HashSet<>();
        private final Map<Integer, Integer> readerRefs = new HashMap<>();

        public Spec() {
            ownerReserve(0);
            publish(0);
            ownerReserve(1);
        }

        private Kind kind(int minor) {
            return kinds.getOrDefault(minor, Kind.FREE);
        }

        private int lowestFree() {
            int minor = 0;
            while (kind(minor) != Kind.FREE) {
                minor++;
            }
            return minor;
        }

        private String reserve(int minor, Kind as) {
            if (kind(minor) != Kind.FREE) {
                return "EBUSY";
            }
            kinds.put(minor, as);
            return OK;
        }

        /** Drops one reference; the last one leaves the placeholder behind. */
        private String drop(int minor) {
            int left = holders.merge(minor, -1, Integer::sum);
            if (left == 0) {
                kinds.put(minor, Kind.DYING);
                return LAST;
            }
            return NOT_LAST;
        }

        public int ownerReserveAny() {
            int minor = lowestFree();
            kinds.put(minor, Kind.OWNER_RESERVED);
            return minor;
        }

        public String ownerReserve(int minor) {
            return reserve(minor, Kind.OWNER_RESERVED);
        }

        public String publish(int minor) {
            if (kind(minor) != Kind.OWNER_RESERVED) {
                return NOT_RESERVED;
            }
            kinds.put(minor, Kind.PUBLISHED);
            holders.put(minor, 1);
            creatorRefs.add(minor);
            return OK;
        }

        public String putCreator(int minor) {
            return creatorRefs.remove(minor) ? drop(minor) : NO_REF;
        }

        public String release(int minor) {
            Kind kind = kind(minor);
            if (kind == Kind.PUBLISHED) {
                return HELD;
            }
            if (kind != Kind.OWNER_RESERVED && kind != Kind.DYING) {
                return NOT_RESERVED;
            }
            kinds.remove(minor);
            return OK;
        }

        public String get(int minor) {
            if (kind(minor) != Kind.PUBLISHED) {
                return ABSENT;
            }
            holders.merge(minor, 1, Integer::sum);
            readerRefs.merge(minor, 1, Integer::sum);
            return FOUND;
        }

        public String put(int minor) {
            if (readerRefs.getOrDefault(minor, 0) == 0) {
                return NO_REF;
            }
            readerRefs.merge(minor, -1, Integer::sum);
            return drop(minor);
        }

        public String competitorReserve(int minor) {
            return reserve(minor, Kind.ORPHAN);
        }

        public boolean isFree(int minor) {
            return kind(minor) == Kind.FREE;
        }
    }
}
