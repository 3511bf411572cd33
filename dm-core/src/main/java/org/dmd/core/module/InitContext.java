package org.dmd.core.module;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.registry.RegisteredType;
import org.dmd.core.registry.Registries;
import org.dmd.core.registry.TypeRegistry;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TargetType;

/**
 * The {@link ModuleContext} of one loaded module: its four registrations, bound to it as owner.
 * It remembers what the module registered so that the loader can remove what a failed init or an
 * exit left behind (the kernel would be left with dangling list entries; dmd warns and cleans up),
 * injects the {@code fail-after-register} fault, and reports {@link Step#MODULE_INIT_REGISTERED}
 * after the first registration of init (modules need not report it themselves).
 *
 * <p>Guards: the bookkeeping fields are guarded by {@code this}, a leaf monitor held for a few
 * instructions (outside {@link org.dmd.core.concurrent.LockRank}: nothing is called while holding
 * it); registry calls and steps happen outside it. Init and exit of one module never overlap:
 * the loader's state changes order them.
 */
final class InitContext implements ModuleContext {

    /** Creates the context of a module being constructed. */
    interface Factory {
        InitContext create(LoadedModule module);
    }

    private final LoadedModule module;
    private final StepHook steps;
    /** The injected {@code fail-after-register} errno, or null. */
    private final Errno failAfterRegister;
    private final Registration<TargetType> targets;
    private final Registration<PathSelectorType> pathSelectors;
    private final Registration<DirtyLogType> dirtyLogs;
    private final Registration<ExceptionStoreType> exceptionStores;

    /** Types registered and not yet unregistered, oldest first. */
    private final List<Registered<?>> registered = new ArrayList<>();
    private boolean initRunning;
    private int registeredDuringInit;
    private boolean faultInjected;

    InitContext(LoadedModule module, Registries registries, StepHook steps, Errno failAfterRegister) {
        this.module = module;
        this.steps = steps;
        this.failAfterRegister = failAfterRegister;
        this.targets = new Tracked<>(registries.targets());
        this.pathSelectors = new Tracked<>(registries.pathSelectors());
        this.dirtyLogs = new Tracked<>(registries.dirtyLogs());
        this.exceptionStores = new Tracked<>(registries.exceptionStores());
    }

    @Override
    public String moduleName() {
        return module.name();
    }

    @Override
    public Registration<TargetType> targets() {
        return targets;
    }

    @Override
    public Registration<PathSelectorType> pathSelectors() {
        return pathSelectors;
    }

    @Override
    public Registration<DirtyLogType> dirtyLogs() {
        return dirtyLogs;
    }

    @Override
    public Registration<ExceptionStoreType> exceptionStores() {
        return exceptionStores;
    }

    synchronized void beginInit() {
        initRunning = true;
    }

    synchronized void endInit() {
        initRunning = false;
    }

    /**
     * Called when init returned success: if the {@code fail-after-register} fault is armed and
     * init registered exactly the types it wanted without a second registration to refuse, fails
     * it now, unregistering what it registered.
     */
    void checkFailAfterRegister(Consumer<String> warn) throws DmException {
        synchronized (this) {
            if (failAfterRegister == null || faultInjected || registeredDuringInit == 0) {
                return;
            }
            faultInjected = true;
        }
        unregisterAll(warn);
        throw injected("init");
    }

    /**
     * Unregisters everything still registered through this context, newest first, and returns
     * the names. Failures (a path selector still in use) are passed to {@code warn}.
     */
    List<String> unregisterAll(Consumer<String> warn) {
        List<Registered<?>> left;
        synchronized (this) {
            left = new ArrayList<>(registered);
            registered.clear();
        }
        Collections.reverse(left);
        List<String> names = new ArrayList<>();
        for (Registered<?> r : left) {
            names.add(r.type().name());
            try {
                r.unregister(module);
            } catch (DmException | IllegalStateException e) {
                warn.accept(module.name() + ": could not unregister " + r.type().name() + ": " + e.getMessage());
            }
        }
        return names;
    }

    private DmException injected(String what) {
        return new DmException(failAfterRegister, "%s: %s failed after its first type registration (injected %s)",
                module.name(), what, failAfterRegister);
    }

    /** A type registered through this context, with the registry to unregister it from. */
    private record Registered<T extends RegisteredType>(TypeRegistry<T> registry, T type) {
        void unregister(LoadedModule owner) throws DmException {
            registry.unregister(type, owner);
        }
    }

    private final class Tracked<T extends RegisteredType> implements Registration<T> {
        private final TypeRegistry<T> registry;

        Tracked(TypeRegistry<T> registry) {
            this.registry = registry;
        }

        @Override
        public void register(T type) throws DmException {
            synchronized (InitContext.this) {
                if (initRunning && failAfterRegister != null && registeredDuringInit > 0 && !faultInjected) {
                    faultInjected = true;
                    throw injected("registration of '" + type.name() + "'");
                }
            }
            registry.register(type, module);
            boolean first;
            synchronized (InitContext.this) {
                registered.add(new Registered<>(registry, type));
                first = initRunning && ++registeredDuringInit == 1;
            }
            if (first) {
                steps.reached(Step.MODULE_INIT_REGISTERED, module.name());
            }
        }

        @Override
        public void unregister(T type) throws DmException {
            registry.unregister(type, module);
            synchronized (InitContext.this) {
                for (int i = 0; i < registered.size(); i++) {
                    Registered<?> r = registered.get(i);
                    if (r.registry() == registry && r.type().name().equals(type.name())) {
                        registered.remove(i);
                        break;
                    }
                }
            }
        }
    }
}
