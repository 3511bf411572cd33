package org.dmd.core.module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * The kmod side (libkmod and the modprobe, insmod, rmmod tools of kmod):
 * name resolution, dependency and softdep ordering, the initstate computation, insertion and
 * removal. Stateless apart from what it reads: the index and the loader's module list and sysfs
 * view, each read without holding anything across calls, as the tools read files.
 *
 * <p>Every failure is a {@link DmException} carrying the errno and the exact text the tool prints
 * (exit status 1); success is exit status 0.
 */
final class ModProbe {

    private final ModuleIndex index;
    private final ModuleLoader loader;
    private final ModulePolicy policy;

    ModProbe(ModuleIndex index, ModuleLoader loader, ModulePolicy policy) {
        this.index = index;
        this.loader = loader;
        this.policy = policy;
    }

    /** A {@code struct kmod_module}: a canonical name, the alias it was found by, whether a built-in lookup made it. */
    private record Kmod(String name, String alias, boolean fromBuiltinLookup) {
        static Kmod named(String name) {
            return new Kmod(name, null, false);
        }
    }

    /**
     * {@code modprobe [--first-time] NAME}.
     *
     * @throws DmException ENOENT "Module NAME not found in directory DIR"; or, for the module that
     *                     failed, "could not insert 'M': ..." with its errno
     */
    void probe(String name, boolean firstTime) throws DmException {
        List<Kmod> resolved = lookup(name);
        if (resolved.isEmpty()) {
            throw new DmException(Errno.ENOENT, "Module %s not found in directory %s", name, index.location());
        }
        DmException last = null; // like modprobe, the last module's result is the exit status
        for (Kmod module : resolved) {
            try {
                probeInsert(module, firstTime);
                last = null;
            } catch (DmException e) {
                last = insertFailure(module, e);
            }
        }
        if (last != null) {
            throw last;
        }
    }

    private static DmException insertFailure(Kmod module, DmException e) {
        String why;
        switch (e.errno()) {
            case EEXIST:
                why = "Module already in kernel";
                break;
            case ENOENT:
                why = "Unknown symbol in module, or unknown parameter (see dmesg)";
                break;
            default:
                why = e.errno().strerror();
        }
        return new DmException(e.errno(), "could not insert '%s': %s", module.name(), why);
    }

    /** {@code kmod_module_probe_insert_module}. */
    private void probeInsert(Kmod module, boolean firstTime) throws DmException {
        if (inKernel(module)) {
            if (firstTime) {
                throw new DmException(Errno.EEXIST, "module %s is already in kernel", module.name());
            }
            return;
        }
        if (module.alias() != null && index.blacklisted(module.name())) {
            return; // blacklisted alias: skipped, which modprobe reports as success
        }
        ProbeList list = new ProbeList();
        list.visit(module, true);
        for (Kmod m : list.modules) {
            DmException err = null;
            if (inKernel(m)) {
                err = new DmException(Errno.EEXIST, "module %s is already in kernel", m.name());
            } else {
                try {
                    String path = index.pathOf(m.name()).orElseThrow(
                            () -> new DmException(Errno.ENOENT, "could not find module by name='%s'", m.name()));
                    loader.finitModule(path, index.options(m.name()));
                } catch (DmException e) {
                    err = e;
                }
            }
            if (err == null) {
                continue;
            }
            if (err.errno() == Errno.EEXIST && m.name().equals(module.name()) && firstTime) {
                throw err;
            }
            if (err.errno() == Errno.EEXIST || !list.required.contains(m.name())) {
                continue; // loaded meanwhile, or a softdep: ignored
            }
            throw err;
        }
    }

    /** The probe list kmod_module_probe_insert_module builds: each dependency with its softdeps, then the module with its own. */
    private final class ProbeList {
        final List<Kmod> modules = new ArrayList<>();
        final Set<String> visited = new HashSet<>();
        final Set<String> required = new HashSet<>();

        void visit(Kmod module, boolean isRequired) {
            if (!visited.add(module.name())) {
                return;
            }
            List<Kmod> deps = new ArrayList<>();
            for (String dep : index.dependencies(module.name())) {
                deps.add(Kmod.named(dep));
            }
            if (isRequired) {
                // marked before softdeps can reach them, so a dependency never counts as optional
                required.add(module.name());
                deps.forEach(d -> required.add(d.name()));
            }
            for (Kmod dep : deps) {
                withSoftdeps(dep);
            }
            withSoftdeps(module);
        }

        private void withSoftdeps(Kmod module) {
            Optional<ModuleIndex.Softdep> softdep = index.softdep(module.name());
            for (String pre : softdep.map(ModuleIndex.Softdep::pre).orElse(List.of())) {
                for (Kmod m : lookup(pre)) {
                    visit(m, false);
                }
            }
            modules.add(module);
            for (String post : softdep.map(ModuleIndex.Softdep::post).orElse(List.of())) {
                for (Kmod m : lookup(post)) {
                    visit(m, false);
                }
            }
        }
    }

    /**
     * {@code modprobe -r NAME} (tools/modprobe.c: rmmod_do_remove_module): the module, then its dependencies that became unused.
     *
     * @throws DmException ENOENT "Module NAME not found." / "Module M is builtin."; EBUSY
     *                     "Module M is in use."; or delete_module's errno with "could not remove 'M': ..."
     */
    void remove(String name) throws DmException {
        List<Kmod> resolved = lookup(name);
        if (resolved.isEmpty()) {
            throw new DmException(Errno.ENOENT, "Module %s not found.", name);
        }
        for (Kmod module : resolved) {
            removeModule(module, false);
        }
    }

    private void removeModule(Kmod module, boolean ignoreBuiltin) throws DmException {
        Optional<ModuleIndex.Softdep> softdep = index.softdep(module.name());
        Optional<InitState> state = initstateOf(module);
        if (state.isEmpty()) {
            return; // not loaded: nothing to do
        }
        if (state.get() == InitState.BUILTIN) {
            if (ignoreBuiltin) {
                return;
            }
            throw new DmException(Errno.ENOENT, "Module %s is builtin.", module.name());
        }
        removeQuietly(softdep.map(ModuleIndex.Softdep::post).orElse(List.of()));
        if (refcnt(module.name()) > 0) {
            throw new DmException(Errno.EBUSY, "Module %s is in use.", module.name());
        }
        deleteWithDependencies(module.name());
        removeQuietly(softdep.map(ModuleIndex.Softdep::pre).orElse(List.of()));
    }

    /** Removes softdep modules in reverse order, ignoring their errors. */
    private void removeQuietly(List<String> names) {
        List<String> reversed = new ArrayList<>(names);
        Collections.reverse(reversed);
        for (String name : reversed) {
            try {
                for (Kmod m : lookup(name)) {
                    removeModule(m, true);
                }
            } catch (DmException ignored) {
                // softdeps are best effort, as in kmod
            }
        }
    }

    /** delete_module, then each dependency whose count dropped to 0 (errors of those ignored). */
    private void deleteWithDependencies(String name) throws DmException {
        DmException failure = null;
        try {
            loader.deleteModule(name, false);
        } catch (DmException e) {
            failure = new DmException(e.errno(), "could not remove '%s': %s", name, e.errno().strerror());
        }
        for (String dep : index.dependencies(name)) {
            if (refcnt(dep) == 0) {
                try {
                    deleteWithDependencies(dep);
                } catch (DmException ignored) {
                    // kmod ignores a dependency it could not remove
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * {@code rmmod [-f] NAME} (tools/rmmod.c).
     *
     * @throws DmException ENOENT "Module M is builtin." / "Module M is not currently loaded";
     *                     EBUSY "Module M is in use by: A B" / "Module M is in use"; or
     *                     delete_module's errno with "could not remove module NAME: ..."
     */
    void rmmod(String name, boolean force) throws DmException {
        Kmod module = Kmod.named(ModuleNames.canonical(name));
        if (!force) {
            Optional<InitState> state = initstateOf(module);
            if (state.isPresent() && state.get() == InitState.BUILTIN) {
                throw new DmException(Errno.ENOENT, "Module %s is builtin.", module.name());
            }
            if (state.isEmpty()) {
                throw new DmException(Errno.ENOENT, "Module %s is not currently loaded", module.name());
            }
            List<String> holders = loader.sysfs(module.name()).map(ModuleLoader.Sysfs::holders).orElse(List.of());
            if (!holders.isEmpty()) {
                throw new DmException(Errno.EBUSY, "Module %s is in use by: %s", module.name(), String.join(" ", holders));
            }
            if (refcnt(module.name()) > 0) {
                throw new DmException(Errno.EBUSY, "Module %s is in use", module.name());
            }
        }
        try {
            loader.deleteModule(module.name(), force);
        } catch (DmException e) {
            throw new DmException(e.errno(), "could not remove module %s: %s", name, e.errno().strerror());
        }
    }

    /**
     * {@code insmod FILE}: finit_module of one file, no dependencies, no pre-check.
     *
     * @throws DmException "could not load module F: No such file or directory" (ENOENT) for a file
     *                     not in the index; otherwise "could not insert module F: ..." with insmod's texts
     */
    void insmod(String file) throws DmException {
        if (index.moduleOfPath(file).isEmpty()) {
            throw new DmException(Errno.ENOENT, "could not load module %s: No such file or directory", file);
        }
        try {
            loader.finitModule(file, "");
        } catch (DmException e) {
            throw new DmException(e.errno(), "could not insert module %s: %s", file, insmodText(e.errno()));
        }
    }

    private static String insmodText(Errno errno) {
        switch (errno) {
            case ENOEXEC:
                return "Invalid module format";
            case ENOENT:
                return "Unknown symbol in module";
            case ESRCH:
                return "Module has wrong symbol version";
            case EINVAL:
                return "Invalid parameters";
            default:
                return errno.strerror();
        }
    }

    /**
     * {@code kmod_module_get_initstate} of a module object made from a name (as rmmod and lsmod make it).
     *
     * @throws DmException ENOENT if the module is not loaded
     */
    InitState initstate(String name) throws DmException {
        String canonical = ModuleNames.canonical(name);
        return initstateOf(Kmod.named(canonical))
                .orElseThrow(() -> new DmException(Errno.ENOENT, "Module %s is not loaded", canonical));
    }

    /** {@code kmod_module_get_initstate}, with the kmod-18 variant; empty means "not loaded" (−ENOENT). */
    private Optional<InitState> initstateOf(Kmod module) {
        boolean builtinKnown = module.fromBuiltinLookup()
                || policy.kmod() == ModulePolicy.KmodVersion.KMOD_20 && index.isBuiltin(module.name());
        if (builtinKnown) {
            return Optional.of(InitState.BUILTIN);
        }
        Optional<ModuleLoader.Sysfs> sysfs = loader.sysfs(module.name());
        if (sysfs.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> initstate = sysfs.get().initstate();
        if (initstate.isEmpty()) {
            // the directory exists but the attribute not yet: a load in progress (kmod 18 said built-in)
            return Optional.of(policy.kmod() == ModulePolicy.KmodVersion.KMOD_20 ? InitState.COMING : InitState.BUILTIN);
        }
        return Optional.of(InitState.valueOf(initstate.get().toUpperCase(Locale.ROOT)));
    }

    private boolean inKernel(Kmod module) {
        return initstateOf(module).map(InitState::inKernel).orElse(false);
    }

    /** {@code kmod_module_get_refcnt}: the {@code refcnt} attribute, or −1 if it cannot be read. */
    private int refcnt(String name) {
        OptionalInt refcnt = loader.sysfs(name).map(ModuleLoader.Sysfs::refcnt).orElse(OptionalInt.empty());
        return refcnt.orElse(-1);
    }

    /**
     * {@code kmod_module_new_from_lookup}: the first source that yields anything wins —
     * configuration aliases, modules.dep, modules.alias, modules.builtin. ({@code modules.symbols},
     * install/remove commands and built-in aliases are not modelled.) An invalid alias finds nothing.
     */
    private List<Kmod> lookup(String name) {
        String normalised;
        try {
            normalised = ModuleNames.alias(name);
        } catch (DmException invalid) {
            return List.of();
        }
        Set<Kmod> found = new LinkedHashSet<>();
        for (String module : index.configAliasTargets(normalised)) {
            found.add(new Kmod(module, normalised, false));
        }
        if (found.isEmpty() && index.isModule(normalised)) {
            found.add(Kmod.named(normalised));
        }
        if (found.isEmpty()) {
            for (String module : index.aliasTargets(normalised)) {
                found.add(new Kmod(module, normalised, false));
            }
        }
        if (found.isEmpty() && index.isBuiltin(normalised)) {
            found.add(new Kmod(normalised, null, true));
        }
        return List.copyOf(found);
    }
}
