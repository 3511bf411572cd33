package org.dmd.core.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/** Helpers shared by the target tests. */
public final class TargetAssertions {

    private TargetAssertions() {
    }

    /** The arguments of a table line, split on spaces (tests never need escapes). */
    public static List<String> args(String line) {
        return line.isEmpty() ? List.of() : Arrays.asList(line.trim().split(" +"));
    }

    public static Target construct(TargetType type, TargetContext context, String line) throws DmException {
        return type.construct(context, args(line));
    }

    /** Constructing fails with {@code errno} and a message starting with the kernel's error text. */
    public static DmException assertCtrFails(TargetType type, TargetContext context, String line, Errno errno,
                                             String error) {
        DmException e = assertThrows(DmException.class, () -> construct(type, context, line), line);
        assertEquals(errno, e.errno(), () -> line + ": " + e);
        assertTrue(e.getMessage().startsWith(error), () -> line + ": expected '" + error + "' but was '"
                + e.getMessage() + "'");
        return e;
    }

    /** The target answers a message with {@code errno}. */
    public static DmException assertMessageFails(Target target, String message, Errno errno) {
        DmException e = assertThrows(DmException.class, () -> target.message(args(message)), message);
        assertEquals(errno, e.errno(), () -> message + ": " + e);
        return e;
    }
}
