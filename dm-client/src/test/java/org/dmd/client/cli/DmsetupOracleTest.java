package org.dmd.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where dmsetup can answer without a kernel (splitname's report, udevflags, argument checks), the
 * installed dmsetup is the oracle: dmctl must print the same bytes. Skipped where dmsetup is absent.
 */
class DmsetupOracleTest {

    private static final Path DMSETUP = Path.of("/usr/sbin/dmsetup");

    @BeforeAll
    static void needsDmsetup() {
        assumeTrue(Files.isExecutable(DMSETUP), "dmsetup is not installed");
    }

    private record Result(int status, String out, String err) {
    }

    private static Result dmsetup(String args) throws Exception {
        List<String> command = new ArrayList<>(List.of(DMSETUP.toString()));
        command.addAll(List.of(args.split(" ")));
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        process.waitFor(30, TimeUnit.SECONDS);
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    private static Result dmctl(String args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Dmctl.run(args.split(" "), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("DMD_SOCKET", "/nonexistent/dmd.sock"), 0);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String lastLine(String text) {
        String[] lines = text.split("\n");
        return lines[lines.length - 1];
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "splitname vg-lv--x-layer",
        "splitname a-b-c-d",
        "splitname vg- XX",
        "splitname vg0-lv0 --noheadings",
        "splitname vg0-lv0 --separator ,",
        "splitname vg0-lv0 --separator :: -o subsystem,vg_name",
        "splitname vg0-lv0 --nameprefixes",
        "splitname vg0-lv0 --nameprefixes --unquoted --noheadings",
        "splitname vg0-lv0 --rows",
        "splitname vg0-lv0 --rows --noheadings -o all",
        "splitname vg0-lv0 -o +subsystem",
        "splitname vg0-lv0 -o LV_NAME,lvlayer,vgname",
        "splitname vg0-lv0 -o splitname_all",
        "splitname vg0-lv0 -o splitname_vg_name",
        "splitname vg0-lv0 -O -lv_name -o vg_name",
        "splitname a-very-long-volume-group-name-which-grows-the-column-lv",
        "udevflags 0x00600000",
        "udevflags 0xffff0d4d",
        "udevflags 0x0",
        "udevflags 12x",
        "udevcomplete 0x00600000",
        "splitname",
        "-j 1 splitname x",
        "--table x --notable splitname x",
        "--manglename bogus splitname x",
        "--addnodeoncreate --addnodeonresume splitname x",
        "ls --tree -o bogus",
        "ls -o blk,bogus",
    })
    void dmctlPrintsWhatDmsetupPrints(String args) throws Exception {
        Result expected = dmsetup(args);
        Result actual = dmctl(args);
        assertEquals(expected.out(), actual.out(), "stdout of " + args);
        if (expected.err().contains("Unrecognised field")) {
            // dmd lists only the fields it has (no I/O statistics): compare the verdict, not the list.
            assertEquals(lastLine(expected.err()), lastLine(actual.err()), "stderr of " + args);
        } else if (!expected.err().contains("Usage:")) {
            assertEquals(expected.err(), actual.err(), "stderr of " + args);
        }
        assertEquals(expected.status(), actual.status(), "exit status of " + args);
    }
}
