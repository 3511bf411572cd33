package org.dmd.core.target.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;

class ArgSetTest {

    private static final ArgBounds SMALL = new ArgBounds(1, 5, "bad small");

    @Test
    void shiftConsumeAndTakeWalkTheArguments() {
        ArgSet as = new ArgSet(List.of("a", "b", "c", "d"));
        assertEquals("a", as.shift());
        assertEquals(List.of("b", "c"), as.peek(2));
        assertEquals(3, as.remaining());
        assertEquals(List.of("b", "c"), as.take(2));
        as.consume(5);
        assertTrue(as.isEmpty());
        assertNull(as.shift());
    }

    @Test
    void readChecksPresenceSyntaxAndBounds() throws DmException {
        assertEquals(3, new ArgSet(List.of("3")).read(SMALL));
        for (List<String> bad : List.of(List.<String>of(), List.of("0"), List.of("6"), List.of("x"), List.of("3x"),
                List.of("-1"), List.of("+3"))) {
            DmException e = assertThrows(DmException.class, () -> new ArgSet(bad).read(SMALL), bad.toString());
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("bad small", e.getMessage());
        }
    }

    @Test
    void readGroupAlsoNeedsThatManyArgumentsLeft() throws DmException {
        assertEquals(2, new ArgSet(List.of("2", "a", "b")).readGroup(SMALL));
        DmException e = assertThrows(DmException.class, () -> new ArgSet(List.of("3", "a", "b")).readGroup(SMALL));
        assertEquals("bad small", e.getMessage());
    }

    @Test
    void scanAcceptsLeadingSpaceOnlyAndKstrtouintAPlusAndNewline() {
        assertEquals(OptionalLong.of(12), Numbers.scanUnsignedInt(" 12"));
        assertEquals(OptionalLong.empty(), Numbers.scanUnsignedInt("12 "));
        assertEquals(OptionalLong.empty(), Numbers.scanUnsignedInt("4294967296"));
        assertEquals(OptionalLong.of(4294967295L), Numbers.scanUnsignedInt("4294967295"));
        assertEquals(OptionalLong.of(Long.MAX_VALUE), Numbers.scanSector(Long.toString(Long.MAX_VALUE)));
        assertEquals(OptionalLong.empty(), Numbers.scanSector("9223372036854775808"));
        assertEquals(OptionalLong.of(7), Numbers.kstrtouint("+7\n"));
        assertEquals(OptionalLong.empty(), Numbers.kstrtouint(" 7"));
        assertEquals(OptionalLong.empty(), Numbers.kstrtouint("+"));
        assertEquals(OptionalLong.empty(), Numbers.kstrtouint(""));
    }
}
