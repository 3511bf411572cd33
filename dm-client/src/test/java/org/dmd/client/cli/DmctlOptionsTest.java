package org.dmd.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The direct reading of the usual command line against picocli's, which defines what a line means. */
class DmctlOptionsTest {

    private static String[] words(String line) {
        return line.isEmpty() ? new String[0] : line.split(" ");
    }

    /** Every field of both, named when they differ. */
    private static void assertSameOptions(DmctlOptions expected, DmctlOptions actual) throws IllegalAccessException {
        for (Field field : DmctlOptions.class.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                assertEquals(field.get(expected), field.get(actual), field.getName());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "info bench-info",
        "create x --notable",
        "--noheadings --separator , -o name,minor -c info a2",
        "-c -C --columns -v -v --verbose 2 info",
        "-j 253 -m 0 info",
        "--manglename none -u LVM-abc --readahead +8 create y --table 0",
        "--socket /tmp/s.sock --json ls --tree -o ascii,compact",
        "-o first -o second --table a --table b load x",
        "bench --connections 4 --ops info=3,create-remove --duration 2s --warmup 1 --count 9 --linear a,b "
                + "--size 8 --name-prefix p- dev",
        "losetup -r -a -d --all --detach --readonly",
        "modprobe --remove --first-time -f --force dm-zero",
        "-v true info",
        "-S x --exec y -U 1 -G 2 -M 0600 --sort name --target linear --udevcookie 0x1 remove z",
        "-h --help --version -y --yes --addnodeoncreate --addnodeonresume --checks --concise --deferred",
        "--inactive --nameprefixes --noflush --nolockfs --noopencount --noudevrules --noudevsync --retry",
        "--rows --setuuid --showkeys --unbuffered --unquoted --verifyudev --kernel-messages monitor",
    })
    void plainLinesAreReadAsPicocliReadsThem(String line) throws Exception {
        DmctlOptions direct = DmctlOptions.readPlain(words(line));
        assertNotNull(direct, line);
        assertSameOptions(DmctlOptions.parseWithPicocli(words(line)), direct);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--nof info",
        "-fv remove x",
        "-oname info",
        "--options=name info",
        "info -- -x",
        "info -",
        "info -o",
        "splitname vg0-lv0 -O -lv_name",
        "--bogus info",
    })
    void otherLinesAreLeftToPicocli(String line) {
        assertNull(DmctlOptions.readPlain(words(line)), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--nof info", "-fv remove x", "-oname info", "--options=name info", "info -- -x"})
    void parseGivesPicocliTheLinesItIsLeft(String line) throws Exception {
        assertSameOptions(DmctlOptions.parseWithPicocli(words(line)), DmctlOptions.parse(words(line)));
    }
}
