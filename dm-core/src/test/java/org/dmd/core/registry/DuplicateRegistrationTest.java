package org.dmd.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.LoadedModule;
import org.dmd.core.module.ModuleTestSupport;
import org.dmd.core.module.fixture.FxTypes;
import org.dmd.core.target.PathSelectorType;
import org.junit.jupiter.api.Test;

/**
 * Registration rules of the four registries (dm-target.c, dm-path-selector.c, dm-log.c,
 * dm-exception-store.c): name-unique, a duplicate fails with the policy errno, and each one's unregister rules.
 */
class DuplicateRegistrationTest extends ModuleTestSupport {

    private LoadedModule core;
    private LoadedModule zero;

    private void startWith(String policy) throws DmException {
        start(policy, "");
        modules.modprobe("dm-fx-zero", false);
        core = modules.find("dm_fx_core").orElseThrow();
        zero = modules.find("dm_fx_zero").orElseThrow();
    }

    private <T extends RegisteredType> Errno duplicate(TypeRegistry<T> registry, Function<String, T> type) throws DmException {
        T first = type.apply("dup");
        registry.register(first, core);
        Errno errno = assertThrows(DmException.class, () -> registry.register(type.apply("dup"), zero)).errno();
        try (TypeRef<T> ref = registry.get("dup").orElseThrow()) {
            assertSame(first, ref.type(), "the first registration stays");
        }
        registry.unregister(first, core);
        return errno;
    }

    /** Registers {@code type} for dm_fx_zero and takes it; unregisters it, then puts the reference. */
    private <T extends RegisteredType> void putAfterUnregistering(TypeRegistry<T> registry, T type) throws DmException {
        registry.register(type, zero);
        TypeRef<T> ref = registry.get(type.name()).orElseThrow();
        registry.unregister(type, zero);
        ref.close();
    }

    private void assertDuplicateErrno(Errno expected) throws DmException {
        Registries r = modules.registries();
        assertEquals(expected, duplicate(r.targets(), FxTypes.FxTarget::new), "targets");
        assertEquals(expected, duplicate(r.pathSelectors(), FxTypes.FxPathSelector::new), "path selectors");
        assertEquals(expected, duplicate(r.dirtyLogs(), FxTypes.FxDirtyLog::new), "dirty logs");
        assertEquals(expected, duplicate(r.exceptionStores(), FxTypes.FxExceptionStore::new), "exception stores");
    }

    @Test
    void aDuplicateNameIsEbusyInEveryRegistry() throws Exception {
        startWith("");
        assertDuplicateErrno(Errno.EBUSY);
    }

    @Test
    void aDuplicateNameIsEexistUnderTheLegacySwitch() throws Exception {
        startWith("registry-dup=EEXIST");
        assertDuplicateErrno(Errno.EEXIST);
    }

    @Test
    void unregisteringAnUnknownTypeFollowsEachRegistrysRule() throws Exception {
        startWith("");
        Registries r = modules.registries();
        assertThrows(IllegalStateException.class, () -> r.targets().unregister(new FxTypes.FxTarget("nope"), core),
                "an unknown target is a BUG in the kernel");
        assertThrows(IllegalStateException.class, () -> r.targets().unregister(new FxTypes.FxTarget("fx-zero"), core),
                "a target registered by another module counts as unknown");
        assertEquals(Errno.EINVAL, assertThrows(DmException.class,
                () -> r.pathSelectors().unregister(new FxTypes.FxPathSelector("nope"), core)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DmException.class,
                () -> r.dirtyLogs().unregister(new FxTypes.FxDirtyLog("nope"), core)).errno());
        assertEquals(Errno.EINVAL, assertThrows(DmException.class,
                () -> r.exceptionStores().unregister(new FxTypes.FxExceptionStore("nope"), core)).errno());
    }

    @Test
    void aPathSelectorInUseCannotBeUnregistered() throws Exception {
        startWith("");
        TypeRegistry<PathSelectorType> selectors = modules.registries().pathSelectors();
        FxTypes.FxPathSelector type = new FxTypes.FxPathSelector("busy");
        selectors.register(type, zero);
        TypeRef<PathSelectorType> ref = selectors.get("busy").orElseThrow();
        assertEquals(Errno.ETXTBSY, assertThrows(DmException.class, () -> selectors.unregister(type, zero)).errno());
        ref.close();
        selectors.unregister(type, zero);
        assertEquals(0, zero.refcount());
    }

    @Test
    void aDirtyLogIsPutOnlyWhileStillRegisteredUnlikeAnExceptionStore() throws Exception {
        startWith("");
        Registries r = modules.registries();
        putAfterUnregistering(r.dirtyLogs(), new FxTypes.FxDirtyLog("late-log"));
        assertEquals(1, zero.refcount(), "dm-log's put skips module_put for an unregistered type (kernel behaviour)");

        putAfterUnregistering(r.exceptionStores(), new FxTypes.FxExceptionStore("late-store"));
        assertEquals(1, zero.refcount(), "the exception store's put did drop its reference");
    }

    @Test
    void listShowsTheMostRecentRegistrationFirst() throws Exception {
        startWith("");
        List<String> names = modules.registries().targets().list().stream().map(RegisteredType::name)
                .collect(Collectors.toList());
        assertEquals(List.of("fx-zero", "fx-striped", "fx-linear", "fx-error"), names);
    }
}
