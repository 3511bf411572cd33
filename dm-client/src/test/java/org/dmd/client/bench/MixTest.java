package org.dmd.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;

class MixTest {

    @Test
    void weightsDecideHowOftenEachOperationIsDrawn() throws DmException {
        Mix mix = Mix.parse("info=3,create-remove");
        assertEquals(List.of(Operation.INFO, Operation.CREATE_REMOVE), mix.operations());
        assertEquals("info=3,create-remove=1", mix.toString());
        Map<Operation, Integer> drawn = new EnumMap<>(Operation.class);
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 40_000; i++) {
            drawn.merge(mix.next(random), 1, Integer::sum);
        }
        // 30,000 expected; six standard deviations (about 520) either way.
        assertTrue(Math.abs(drawn.get(Operation.INFO) - 30_000) < 520, drawn::toString);
        assertEquals(40_000, drawn.get(Operation.INFO) + drawn.get(Operation.CREATE_REMOVE));
    }

    @Test
    void aSingleOperationNeedsNoWeight() throws DmException {
        Mix mix = Mix.parse("remove-all");
        assertEquals("remove-all", mix.toString());
        assertEquals(Operation.REMOVE_ALL, mix.next(new SplittableRandom(7)));
    }

    @Test
    void badMixesAreRefusedWithTheReason() {
        assertEquals("unknown operation 'stats' (operations: version, info, ls, create-remove, create, load, "
                + "remove-all)", assertThrows(DmException.class, () -> Mix.parse("stats")).getMessage());
        assertEquals("the weight of info must be a whole number from 1 to 999999, not '0'",
                assertThrows(DmException.class, () -> Mix.parse("info=0")).getMessage());
        DmException twice = assertThrows(DmException.class, () -> Mix.parse("info,ls,info=2"));
        assertEquals(Errno.EINVAL, twice.errno());
        assertEquals("operation info is named twice", twice.getMessage());
    }
}
