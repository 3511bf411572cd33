package org.dmd.core.target.zero;

import static org.dmd.core.target.TargetAssertions.assertCtrFails;
import static org.dmd.core.target.TargetAssertions.assertMessageFails;
import static org.dmd.core.target.TargetAssertions.construct;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.target.FakeTargetContext;
import org.dmd.core.target.Target;
import org.dmd.core.target.Version;
import org.junit.jupiter.api.Test;

class ZeroTargetTest {

    private final FakeTargetContext context = new FakeTargetContext(2048);

    @Test
    void zeroHasNoArgumentsAndEmptyText() throws DmException {
        assertEquals(Version.of(1, 2, 0), ZeroTarget.TYPE.version());
        Target zero = construct(ZeroTarget.TYPE, context, "");
        assertEquals("", zero.table());
        assertEquals("", zero.status());
        assertEquals(List.of(), zero.areas());
        assertMessageFails(zero, "hello", Errno.EINVAL);
    }

    @Test
    void anyArgumentIsAnError() {
        assertCtrFails(ZeroTarget.TYPE, context, "0", Errno.EINVAL, "No arguments required");
    }
}
