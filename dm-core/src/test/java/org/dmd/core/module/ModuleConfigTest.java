package org.dmd.core.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.junit.jupiter.api.Test;

/** The daemon flags: {@link ModulePolicy#parse} and {@link ModuleFaults#parse}. */
class ModuleConfigTest {

    @Test
    void anEmptyPolicyIsTheDefault() throws Exception {
        assertEquals(ModulePolicy.DEFAULT, ModulePolicy.parse(""));
        assertEquals(new ModulePolicy(ModulePolicy.LoaderDupPolicy.EBUSY_NO_RETRY, true, true, Errno.EBUSY,
                ModulePolicy.KmodVersion.KMOD_20, ModulePolicy.ComingTypePolicy.WAIT), ModulePolicy.DEFAULT);
    }

    @Test
    void everySwitchParses() throws Exception {
        ModulePolicy policy = ModulePolicy.parse(
                "loader=retry-until-gone,registry-dup=EEXIST,kmod=18,safety-net=off,coming-types=take,same-file=off");
        assertEquals(new ModulePolicy(ModulePolicy.LoaderDupPolicy.RETRY_UNTIL_GONE, false, false, Errno.EEXIST,
                ModulePolicy.KmodVersion.KMOD_18, ModulePolicy.ComingTypePolicy.TAKE), policy);
        assertEquals(ModulePolicy.LoaderDupPolicy.LEGACY_EEXIST_ON_GOING,
                ModulePolicy.parse(" loader = LEGACY-EEXIST-ON-GOING ").loaderDup());
        assertEquals(ModulePolicy.KmodVersion.KMOD_18, ModulePolicy.parse("kmod=19").kmod());
        assertEquals(ModulePolicy.KmodVersion.KMOD_20, ModulePolicy.parse("kmod=34").kmod());
    }

    @Test
    void aBadPolicyIsEinvalWithAClearMessage() {
        assertPolicyError("bad module policy setting 'loader=sometimes': expected one of legacy-eexist-on-going, "
                + "retry-until-gone, ebusy-no-retry", "loader=sometimes");
        assertPolicyError("bad module policy setting 'colour=blue': unknown key 'colour' (known: loader, same-file, "
                + "safety-net, registry-dup, kmod, coming-types)", "colour=blue");
        assertPolicyError("bad module policy setting 'kmod=17': kmod versions before 18 are not modelled", "kmod=17");
        assertPolicyError("bad module policy setting 'registry-dup=ENOMEM': expected EBUSY or EEXIST", "registry-dup=ENOMEM");
        assertPolicyError("bad module policy setting 'same-file': expected key=value", "same-file");
        assertPolicyError("bad module policy setting 'kmod=20': 'kmod' is given twice", "kmod=18,kmod=20");
        assertPolicyError("bad module policy setting 'safety-net=maybe': expected on or off", "safety-net=maybe");
    }

    private static void assertPolicyError(String message, String spec) {
        DmException e = assertThrows(DmException.class, () -> ModulePolicy.parse(spec));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(message, e.getMessage());
    }

    @Test
    void faultsParsePerModuleUnderAnySpelling() throws Exception {
        ModuleFaults faults = ModuleFaults.parse("dm-mirror:delay=2s,dm-mirror:errno=EEXIST,"
                + "dm_snapshot:fail-after-register=ENOMEM:delay=250ms,dm-zero:errno=16");
        assertEquals(new ModuleFaults.Fault(Duration.ofSeconds(2), Errno.EEXIST, null), faults.of("dm_mirror"));
        assertEquals(new ModuleFaults.Fault(Duration.ofMillis(250), null, Errno.ENOMEM), faults.of("dm-snapshot"));
        assertEquals(Errno.EBUSY, faults.of("dm-zero").failBeforeInit());
        assertEquals(Duration.ofMinutes(1), ModuleFaults.parse("x:delay=1m").of("x").delay());
        ModuleFaults.Fault none = ModuleFaults.NONE.of("dm-mirror");
        assertEquals(Duration.ZERO, none.delay());
        assertNull(none.failBeforeInit());
        assertNull(none.failAfterRegister());
        assertEquals(ModuleFaults.NONE.of("x"), ModuleFaults.parse("").of("x"));
    }

    @Test
    void badFaultsAreEinval() {
        assertFaultError("bad module fault 'dm-x:delay=2': delay '2' needs a unit: ms, s or m", "dm-x:delay=2");
        assertFaultError("bad module fault 'dm-x:errno=EWHAT': unknown errno 'EWHAT'", "dm-x:errno=EWHAT");
        assertFaultError("bad module fault 'dm-x:explode=yes': unknown key 'explode' (known: delay, errno, "
                + "fail-after-register)", "dm-x:explode=yes");
        assertFaultError("bad module fault 'dm-x': expected module:key=value", "dm-x");
        assertFaultError("bad module fault 'dm-x:errno=EIO': errno given twice", "dm-x:errno=EBUSY,dm-x:errno=EIO");
        assertFaultError("bad module fault 'dm-x:delay=-1s': negative delay '-1s'", "dm-x:delay=-1s");
    }

    private static void assertFaultError(String message, String spec) {
        DmException e = assertThrows(DmException.class, () -> ModuleFaults.parse(spec));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(message, e.getMessage());
    }
}
