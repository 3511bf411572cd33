package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The module index files depmod writes, the shipped dm catalogue (drivers/md) and kmod's name rules (modname_normalize). */
class ModuleIndexTest {

    @TempDir
    Path dir;

    @Test
    void theShippedIndexDescribesDmdsCatalogue() {
        ModuleIndex index = ModuleIndex.shipped();
        assertEquals(List.of("dm_mod"), index.builtinModules());
        assertEquals(List.of("dm_zero", "dm_delay", "dm_flakey", "dm_log", "dm_region_hash", "dm_mirror", "dm_snapshot",
                "dm_multipath", "dm_round_robin", "dm_queue_length", "dm_service_time", "dm_historical_service_time",
                "dm_io_affinity"), index.loadableModules());
        assertEquals(List.of("dm_log", "dm_region_hash"), index.dependencies("dm_mirror"));
        assertEquals(List.of("dm_log"), index.dependencies("dm_region_hash"));
        for (String selector : List.of("dm_round_robin", "dm_queue_length", "dm_service_time",
                "dm_historical_service_time", "dm_io_affinity")) {
            assertEquals(List.of("dm_multipath"), index.dependencies(selector), selector);
        }
        assertEquals(List.of(), index.dependencies("dm_zero"), "dm-mod is built in, never a dependency");
        assertEquals(List.of("dm_snapshot"), index.aliasTargets("dm_snapshot_origin"));
        assertEquals(List.of("dm_snapshot"), index.aliasTargets("dm_snapshot_merge"));
        assertEquals(List.of(), index.aliasTargets("dm_thin"), "no dm-thin alias: dmd ships no thin-pool module");
        assertEquals(List.of(), index.configAliasTargets("dm_thin"));
        assertEquals(Optional.of("kernel/drivers/md/dm-zero.ko"), index.pathOf("dm_zero"));
    }

    @Test
    void theShippedIndexServesModprobe() throws Exception {
        try (Modules modules = Modules.builder().build()) {
            modules.modprobe("dm-mod", false);
            assertEquals(InitState.BUILTIN, modules.initstate("dm_mod"));
            DmException thin = assertFailure(() -> modules.modprobe("dm-thin", false));
            assertEquals("Module dm-thin not found in directory /lib/modules/dmd", thin.getMessage());
        }
    }

    @Test
    void aDirectoryIndexReadsAllFilesAndReversesDependencies() throws Exception {
        write("modules.dep", "# comment", "", "kernel/c.ko: kernel/b.ko kernel/a.ko", "kernel/b.ko: kernel/a.ko",
                "kernel/a.ko:");
        write("modules.alias", "alias x-* c");
        write("modules.builtin", "kernel/core-mod.ko");
        write("modules.softdep", "softdep c pre: a post: b");
        Files.createDirectory(dir.resolve("modprobe.d"));
        write("modprobe.d/a.conf", "alias y a", "blacklist b", "options c one=1", "options c two");
        write("modprobe.d/ignored.txt", "this is not read");
        ModuleIndex index = ModuleIndex.load(dir);
        assertEquals(dir.toString(), index.location());
        assertEquals(List.of("a", "b"), index.dependencies("c"));
        assertEquals(List.of("c"), index.aliasTargets("x_y"));
        assertEquals(List.of("a"), index.configAliasTargets("y"));
        assertEquals(List.of("core_mod"), index.builtinModules());
        assertEquals(List.of("a"), index.softdep("c").orElseThrow().pre());
        assertTrue(index.blacklisted("b"));
        assertEquals("one=1 two", index.options("c"));
        assertEquals(Optional.of("c"), index.moduleOfPath("kernel/c.ko"));
    }

    @Test
    void malformedLinesAreEinvalNamingFileAndLine() throws Exception {
        assertBad("modules.dep:2: expected '<module path>: <dependency paths>'", "modules.dep", "a.ko:", "b.ko");
        assertBad("modules.dep:1: dependency z.ko has no line of its own", "modules.dep", "a.ko: z.ko");
        assertBad("modules.dep:2: module a is listed twice", "modules.dep", "a.ko:", "x/a.ko:");
        write("modules.dep", "a.ko:");
        assertBad("modules.alias:1: expected 'alias <pattern> <module>'", "modules.alias", "alias onlyone");
        assertBad("modules.alias:1: invalid alias 'x]': unbalanced brackets", "modules.alias", "alias x] a");
        assertBad("modules.builtin:1: module a is both built in and loadable (in modules.dep)", "modules.builtin", "a.ko");
        write("modules.builtin");
        assertBad("modules.softdep:1: softdep module 'b' before 'pre:' or 'post:'", "modules.softdep", "softdep a b");
        write("modules.softdep");
        Files.createDirectory(dir.resolve("modprobe.d"));
        assertBad("x.conf:2: unknown command 'frobnicate' (supported: alias, blacklist, options, softdep)",
                "modprobe.d/x.conf", "blacklist a", "frobnicate a");
        assertBad("x.conf:1: 'install' commands run shell commands, which dmd does not support",
                "modprobe.d/x.conf", "install a /bin/true");
        assertBad("x.conf:1: expected 'blacklist <module>'", "modprobe.d/x.conf", "blacklist");
    }

    @Test
    void aMissingModulesDepIsEnoent() {
        DmException failure = assertFailure(() -> ModuleIndex.load(dir));
        assertEquals(Errno.ENOENT, failure.errno());
    }

    @Test
    void namesNormaliseAndAliasesMatchLikeKmod() throws Exception {
        assertEquals("dm_mirror", ModuleNames.canonical("dm-mirror"));
        assertEquals("dm_mirror", ModuleNames.ofPath("kernel/drivers/md/dm-mirror.ko.xz"));
        assertEquals("pci:v_[a-f]*", ModuleNames.alias("pci:v-[a-f]*"));
        assertEquals(Errno.EINVAL, assertFailure(() -> ModuleNames.alias("a[b")).errno());
        assertTrue(ModuleNames.matches("dm_*", "dm_zero"));
        assertTrue(ModuleNames.matches("dm_?ero", "dm_zero"));
        assertTrue(ModuleNames.matches("x[0-9]", "x7"));
        assertFalse(ModuleNames.matches("x[!0-9]", "x7"));
        assertFalse(ModuleNames.matches("dm_*_x", "dm_zero"));
    }

    private void assertBad(String message, String file, String... lines) throws IOException {
        if (!file.equals("modules.dep") && !Files.exists(dir.resolve("modules.dep"))) {
            write("modules.dep");
        }
        write(file, lines);
        DmException failure = assertFailure(() -> ModuleIndex.load(dir));
        assertEquals(Errno.EINVAL, failure.errno(), failure.getMessage());
        assertTrue(failure.getMessage().endsWith(message), failure.getMessage());
        assertTrue(failure.getMessage().startsWith(dir.toString()), failure.getMessage());
        Files.delete(dir.resolve(file));
    }

    /** Found by ModuleIndexFuzzTest: a file that is not UTF-8 was reported EIO, as if it could not be read. */
    @Test
    void aFileThatIsNotUtf8IsMalformed() throws Exception {
        write("modules.dep", "kernel/a.ko:");
        Files.write(dir.resolve("modules.alias"), new byte[] {'a', 'l', 'i', 'a', 's', ' ', (byte) 0xFF, ' ', 'a'});
        DmException failure = assertFailure(() -> ModuleIndex.load(dir));
        assertEquals(Errno.EINVAL, failure.errno(), failure.getMessage());
        assertEquals(dir.resolve("modules.alias") + ": not UTF-8 text", failure.getMessage());
    }

    private void write(String file, String... lines) throws IOException {
        Files.write(dir.resolve(file), List.of(lines));
    }

    private interface Call {
        void run() throws DmException;
    }

    private static DmException assertFailure(Call call) {
        try {
            call.run();
        } catch (DmException e) {
            return e;
        }
        throw new AssertionError("expected a DmException");
    }
}
