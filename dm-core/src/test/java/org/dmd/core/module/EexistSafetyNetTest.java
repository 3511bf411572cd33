package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.KernelMessage;
import org.junit.jupiter.api.Test;

/**
 * The 2025 EEXIST patches: EEXIST from a module's init, the loader's safety net
 * (kernel/module/main.c: do_init_module) and the registries' EBUSY (dm-target.c: dm_register_target).
 */
class EexistSafetyNetTest extends ModuleTestSupport {

    @Test
    void initReturningEexistIsReportedAsEbusyWithAWarning() throws Exception {
        start("", "dm-fx-zero:errno=EEXIST");
        DmException failure = failureOf(() -> modules.modprobe("dm-fx-zero", false));
        assertNotNull(failure);
        assertEquals(Errno.EBUSY, failure.errno());
        assertEquals("could not insert 'dm_fx_zero': Device or resource busy", failure.getMessage());
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_zero: init suspiciously returned -EEXIST: Overriding with -EBUSY");
        assertFalse(loaded("dm_fx_zero"));
        assertTrue(modules.list().stream().noneMatch(m -> m.name().equals("dm_fx_zero")));
    }

    @Test
    void duplicateTypeRegistrationFailsTheLoadVisibly() throws Exception {
        start("", "");
        modules.modprobe("dm-fx-zero", false);
        DmException failure = failureOf(() -> modules.modprobe("dm-fx-dup", false));
        assertNotNull(failure);
        assertEquals(Errno.EBUSY, failure.errno());
        assertEquals("could not insert 'dm_fx_dup': Device or resource busy", failure.getMessage());
        awaitMessage(KernelMessage.Level.ERROR, "'fx-zero' target already registered");
        assertFalse(loaded("dm_fx_dup"));
        assertEquals(1, modules.requestModule("dm-fx-dup"), "request_module sees the failure");
    }

    @Test
    void seed000WithoutSafetyNetModprobeSucceedsWhileTheModuleIsAbsent() throws Exception {
        start("safety-net=off,registry-dup=EEXIST", "");
        modules.modprobe("dm-fx-zero", false);
        modules.modprobe("dm-fx-dup", false); // exit 0 ...
        assertFalse(loaded("dm_fx_dup"), "... but the module is not loaded");
        assertEquals(0, modules.requestModule("dm-fx-dup"), "request_module 'succeeds' too");
        DmException firstTime = failureOf(() -> modules.modprobe("dm-fx-dup", true));
        assertNotNull(firstTime);
        assertEquals(Errno.EEXIST, firstTime.errno());
        assertEquals("could not insert 'dm_fx_dup': Module already in kernel", firstTime.getMessage());
    }

    @Test
    void safetyNetAloneRepairsTheLegacyRegistryErrno() throws Exception {
        start("registry-dup=EEXIST", "");
        modules.modprobe("dm-fx-zero", false);
        assertEquals(Errno.EBUSY, errnoOf(() -> modules.modprobe("dm-fx-dup", false)));
        awaitMessage(KernelMessage.Level.WARNING, "dm_fx_dup: init suspiciously returned -EEXIST");
    }

    @Test
    void insmodReportsEexistFromInitAsFileExistsWithoutTheNet() throws Exception {
        start("safety-net=off", "dm-fx-zero:errno=EEXIST");
        DmException failure = failureOf(() -> modules.insmod(file("dm-fx-zero")));
        assertNotNull(failure);
        assertEquals("could not insert module kernel/drivers/md/dm-fx-zero.ko: File exists", failure.getMessage());
        assertFalse(loaded("dm_fx_zero"));
    }
}
