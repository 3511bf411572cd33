package org.dmd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dmd.core.errno.DmException;
import org.junit.jupiter.api.Test;

class NameManglingTest {

    @Test
    void autoEncodesBytesOutsideTheWhitelistAsLowerCaseHex() throws DmException {
        assertEquals("a\\x20b", NameMangling.mangleName("a b", NameMangling.Mode.AUTO));
        assertEquals("LVM-abc\\x20def", NameMangling.mangleUuid("LVM-abc def", NameMangling.Mode.AUTO));
        assertEquals("Az09#+-.:=@_", NameMangling.mangleName("Az09#+-.:=@_", NameMangling.Mode.AUTO));
        assertEquals("\\xc3\\xa9", NameMangling.mangleName("\u00e9", NameMangling.Mode.AUTO));
    }

    @Test
    void autoKeepsAlreadyMangledInputAndRefusesMixtures() throws DmException {
        assertEquals("a\\x20b", NameMangling.mangleName("a\\x20b", NameMangling.Mode.AUTO));
        DmException mixed = assertThrows(DmException.class,
                () -> NameMangling.mangleName("a\\x20b c", NameMangling.Mode.AUTO));
        assertEquals("The name \"a\\x20b c\" contains mixed mangled and unmangled characters or it's already "
                + "mangled improperly.\nFailed to mangle device name \"a\\x20b c\".", mixed.getMessage());
        DmException twice = assertThrows(DmException.class,
                () -> NameMangling.mangleName("a\\x5cx20", NameMangling.Mode.AUTO));
        assertEquals("The name \"a\\x5cx20\" seems to be mangled more than once. This is not allowed in auto mode.",
                twice.getMessage());
    }

    @Test
    void hexEncodesBackslashesTooAndNoneSendsNamesAsGiven() throws DmException {
        assertEquals("a\\x5cx20b", NameMangling.mangleName("a\\x20b", NameMangling.Mode.HEX));
        assertEquals("a b", NameMangling.mangleName("a b", NameMangling.Mode.NONE));
    }

    @Test
    void namesAreLimitedTo127BytesBeforeAndAfterMangling() {
        assertEquals("Name \"" + "n".repeat(128) + "\" too long.", assertThrows(DmException.class,
                () -> NameMangling.mangleName("n".repeat(128), NameMangling.Mode.AUTO)).getMessage());
        String spaces = " ".repeat(32);
        assertEquals("Mangled form of the name too long for \"" + spaces + "\".\nFailed to mangle device name \""
                + spaces + "\".", assertThrows(DmException.class,
                () -> NameMangling.mangleName(spaces, NameMangling.Mode.AUTO)).getMessage());
    }

    @Test
    void newNamesAreCheckedAsLibdmChecksThem() {
        assertEquals("Name \"a/b\" invalid. It contains \"/\".", assertThrows(DmException.class,
                () -> NameMangling.mangleNewName("a/b", NameMangling.Mode.AUTO)).getMessage());
        assertEquals("Non empty new name is required.", assertThrows(DmException.class,
                () -> NameMangling.mangleNewName("", NameMangling.Mode.AUTO)).getMessage());
    }

    @Test
    void repliesAreUnmangledUnlessTheModeIsNone() throws DmException {
        assertEquals("a b", NameMangling.unmangleReply("a\\x20b", "name", NameMangling.Mode.AUTO));
        assertEquals("\u00e9", NameMangling.unmangleReply("\\xc3\\xa9", "name", NameMangling.Mode.HEX));
        assertEquals("a\\x20b", NameMangling.unmangleReply("a\\x20b", "name", NameMangling.Mode.NONE));
        assertEquals("The name \"a b\" should be mangled but it contains blacklisted characters.",
                assertThrows(DmException.class,
                        () -> NameMangling.unmangleReply("a b", "name", NameMangling.Mode.AUTO)).getMessage());
    }
}
