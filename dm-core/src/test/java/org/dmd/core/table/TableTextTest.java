package org.dmd.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmd.core.control.Requests.TargetSpec;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;

/**
 * dmsetup's table text: one {@code START LENGTH TYPE PARAMS} target per line; blank and comment
 * lines skipped, a {@code #} inside the parameters starts a comment, and a malformed line is
 * EINVAL naming its physical line number.
 */
class TableTextTest {

    private static List<TargetSpec> parse(String text) throws DmException {
        return TableText.parse(text);
    }

    private static DmException failure(String text) {
        return assertThrows(DmException.class, () -> parse(text));
    }

    @Test
    void oneTargetPerLineWithItsParametersVerbatim() throws DmException {
        assertEquals(List.of(new TargetSpec(0, 100, "linear", "/dev/loop0 0"),
                        new TargetSpec(100, 50, "striped", "2 8 /dev/loop1 0 /dev/loop2 0")),
                parse("0 100 linear /dev/loop0 0\n100 50 striped 2 8 /dev/loop1 0 /dev/loop2 0\n"));
    }

    @Test
    void aTargetWithoutParametersHasAnEmptyString() throws DmException {
        assertEquals(List.of(new TargetSpec(0, 8, "zero", "")), parse("0 8 zero"));
        assertEquals(List.of(new TargetSpec(0, 8, "error", "")), parse("  0\t8   error  \n"));
    }

    @Test
    void blankLinesAndCommentLinesAreSkipped() throws DmException {
        String text = "# a mirror and its tail\n\n   \t\n  # indented comment\n0 10 zero\n#\n10 10 error\n\n";
        assertEquals(List.of(new TargetSpec(0, 10, "zero", ""), new TargetSpec(10, 10, "error", "")), parse(text));
        assertEquals(List.of(), parse(""));
        assertEquals(List.of(), parse("# nothing but a comment\n\n"));
    }

    @Test
    void aHashInsideTheParametersStartsAComment() throws DmException {
        assertEquals(List.of(new TargetSpec(0, 100, "linear", "/dev/loop0 0 ")),
                parse("0 100 linear /dev/loop0 0 # the first disk"));
        assertEquals(List.of(new TargetSpec(0, 100, "linear", "/dev/loop0 0")),
                parse("0 100 linear /dev/loop0 0#no space before it"));
        assertEquals(List.of(new TargetSpec(0, 8, "zero", "")), parse("0 8 zero #"));
    }

    @Test
    void whiteSpaceAroundLinesAndFieldsIsTrimmedButParametersKeepTheirInnerSpacing() throws DmException {
        assertEquals(List.of(new TargetSpec(0, 100, "linear", "/dev/loop0   0")),
                parse("\t 0  100 \t linear   /dev/loop0   0  \r\n"));
    }

    @Test
    void malformedLinesAreEinvalWithTheirPhysicalLineNumber() {
        DmException noType = failure("0 10 zero\n\n# comment\n10 20\n");
        assertEquals(Errno.EINVAL, noType.errno());
        assertTrue(noType.getMessage().contains("Invalid format on line 4 of table"), noType.getMessage());

        DmException badStart = failure("x 10 zero");
        assertEquals(Errno.EINVAL, badStart.errno());
        assertTrue(badStart.getMessage().contains("line 1"), badStart.getMessage());

        assertEquals(Errno.EINVAL, failure("0 -10 zero").errno());
        assertEquals(Errno.EINVAL, failure("0 1O zero").errno(), "a letter O is not a digit");
        assertEquals(Errno.EINVAL, failure("0").errno());
        assertTrue(failure("0 8 zero\n0 99999999999999999999999 zero").getMessage().contains("line 2"),
                "a length that does not fit 64 bits is malformed");
    }

    @Test
    void unsignedSixtyFourBitNumbersAreAcceptedAsTheKernelReadsThem() throws DmException {
        // The kernel checks the size later ("Too large device"); the parser only reads u64 values.
        TargetSpec spec = parse("18446744073709551615 1 zero").get(0);
        assertEquals(-1L, spec.start(), "2^64-1 is carried in a long as -1, unsigned");
    }

    @Test
    void formatPrintsALineAsDmsetupTablePrintsIt() {
        assertEquals("0 100 linear 7:0 0", TableText.format(0, 100, "linear", "7:0 0"));
    }
}
