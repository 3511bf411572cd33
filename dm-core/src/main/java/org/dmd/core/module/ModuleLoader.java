package org.dmd.core.module;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.event.UeventAction;
import org.dmd.core.registry.Registries;

/**
 * The kernel side of module loading (kernel/module/main.c):
 * {@code finit_module}, {@code delete_module}, reference counts, module-to-module use links, the
 * sysfs view kmod reads, and the built-in modules.
 *
 * <p>Invariants:
 * <ul>
 *   <li>At most one module per name is in {@link #modules}; the name is reserved at UNFORMED, under
 *       {@link #mutex}, atomically with the duplicate check (M1).</li>
 *   <li>States only move UNFORMED → COMING → LIVE → GOING → freed, or UNFORMED → freed, or
 *       COMING → GOING → freed; every move is made under {@link #mutex}. {@link #moduleWq} is
 *       signalled where the kernel wakes {@code module_wq}: when a module goes LIVE and when one
 *       is freed or unlinked — not at GOING, so a waiter sees a failed load already gone.</li>
 *   <li>No lock is held while init or exit runs, while waiting, or at a step: {@link #mutex} is held
 *       only for list and state changes, and {@link #moduleWq} waits release it.</li>
 *   <li>A module is freed exactly once; freeing while others still hold references (only possible
 *       after a failed init whose types were taken, or a forced removal) is counted and warned about.</li>
 *   <li>Built-ins are never in {@link #modules}: never loaded, never removed, no reference count.</li>
 * </ul>
 */
final class ModuleLoader {

    private final ModuleIndex index;
    private final ModulePolicy policy;
    private final ModuleFaults faults;
    private final EventBus events;
    private final StepHook steps;
    private final Registries registries;
    private final long symbolWaitNanos;
    /** Module code by canonical name. Immutable. */
    private final Map<String, ServiceLoader.Provider<KernelModule>> code;

    /** {@code module_mutex} (rank {@link LockRank#MODULE_LOADER}). */
    private final ReentrantLock mutex = new ReentrantLock();
    /** {@code module_wq}: signalled when a module goes LIVE and when one is freed or unlinked. */
    private final Condition moduleWq = mutex.newCondition();
    /** The module list by name, in load order. Guarded by {@link #mutex}. */
    private final LinkedHashMap<String, LoadedModule> modules = new LinkedHashMap<>();
    /** Built-ins in index order; written once by {@link #initBuiltins} before the loader is shared. */
    private volatile Map<String, LoadedModule> builtins = Map.of();
    /** {@code finit_module} loads in progress by file, for same-file coalescing. */
    private final ConcurrentHashMap<String, SameFileLoad> sameFileLoads = new ConcurrentHashMap<>();
    private final AtomicLong freedWhileReferenced = new AtomicLong();
    /** Counted down once when loading is disabled; also ends injected delays early. */
    private final CountDownLatch disabled = new CountDownLatch(1);

    ModuleLoader(ModuleIndex index, ModulePolicy policy, ModuleFaults faults, EventBus events, StepHook steps,
            Registries registries, Duration symbolWait) {
        this.index = index;
        this.policy = policy;
        this.faults = faults;
        this.events = events;
        this.steps = steps;
        this.registries = registries;
        this.symbolWaitNanos = symbolWait.toNanos();
        this.code = discover();
    }

    /** Finds module code with {@link ServiceLoader}; two implementations of one name are a packaging bug. */
    private static Map<String, ServiceLoader.Provider<KernelModule>> discover() {
        Map<String, ServiceLoader.Provider<KernelModule>> found = new HashMap<>();
        Map<String, String> classes = new HashMap<>();
        ServiceLoader.load(KernelModule.class, ModuleLoader.class.getClassLoader()).stream().forEach(provider -> {
            String name = ModuleNames.canonical(provider.get().name());
            String previous = classes.putIfAbsent(name, provider.type().getName());
            if (previous != null) {
                throw new IllegalStateException("two KernelModule implementations are named " + name + ": "
                        + previous + " and " + provider.type().getName());
            }
            found.put(name, provider);
        });
        return Map.copyOf(found);
    }

    /**
     * Runs the built-in modules' init once, in {@code modules.builtin} order. A failing built-in
     * init is logged (as an initcall failure) and its registrations removed; boot goes on.
     */
    void initBuiltins() {
        Map<String, LoadedModule> created = new LinkedHashMap<>();
        for (String name : index.builtinModules()) {
            ServiceLoader.Provider<KernelModule> provider = code.get(name);
            LoadedModule module = new LoadedModule(this, name, provider == null ? null : provider.get(), true,
                    this::newContext);
            created.put(name, module);
            builtins = Collections.unmodifiableMap(new LinkedHashMap<>(created));
            if (module.code() == null) {
                continue; // a built-in dmd has no code for: known to kmod, registers nothing
            }
            module.loadingThread = Thread.currentThread();
            try {
                runInit(module);
            } catch (DmException e) {
                events.log(KernelMessage.Level.ERROR, "initcall " + name + "_init returned -" + e.errno().number()
                        + " (" + e.getMessage() + ")");
                module.context.unregisterAll(this::warn);
            } finally {
                module.loadingThread = null;
            }
        }
    }

    /**
     * {@code finit_module(file, params)}: loads the module in {@code file} (a path of the index).
     * Concurrent loads of one file share the first loader's result when the policy says so.
     *
     * @throws DmException EEXIST (already loaded), EBUSY (a concurrent load failed or the module is
     *                     going), ENOENT (no such file, or an unknown symbol), ENOEXEC (no dmd code
     *                     for it), EINTR, EPERM (loading disabled), or init's own error
     */
    void finitModule(String file, String params) throws DmException {
        if (disabled.getCount() == 0) {
            throw new DmException(Errno.EPERM, "module loading is disabled");
        }
        String name = index.moduleOfPath(file)
                .orElseThrow(() -> new DmException(Errno.ENOENT, "%s: No such file or directory", file));
        if (!policy.idempotentSameFile()) {
            load(file, name, params);
            return;
        }
        SameFileLoad mine = new SameFileLoad(file);
        SameFileLoad first = sameFileLoads.putIfAbsent(file, mine);
        if (first != null) {
            first.awaitResult();
            return;
        }
        DmException failure = null;
        boolean loaded = false;
        try {
            load(file, name, params);
            loaded = true;
        } catch (DmException e) {
            failure = e;
            throw e;
        } finally {
            sameFileLoads.remove(file, mine);
            mine.complete(loaded ? null
                    : failure != null ? failure : new DmException(Errno.EFAULT, "loading %s crashed", file));
        }
    }

    private void load(String file, String name, String params) throws DmException {
        ServiceLoader.Provider<KernelModule> provider = code.get(name);
        if (provider == null) {
            throw new DmException(Errno.ENOEXEC, "%s: dmd has no code for module %s", file, name);
        }
        lock();
        try {
            checkExisting(name); // early_mod_check
        } finally {
            unlock();
        }
        LoadedModule module = new LoadedModule(this, name, instantiate(provider, file), false, this::newContext);
        lock();
        try {
            checkExisting(name); // add_unformed_module: the uniqueness point
            module.loadingThread = Thread.currentThread();
            modules.put(name, module);
        } finally {
            unlock();
        }
        try {
            steps.reached(Step.MODULE_UNFORMED, name);
            resolveUses(module);
        } catch (DmException | RuntimeException e) {
            unlinkUnformed(module);
            throw e;
        }
        lock();
        try {
            module.state = ModuleState.COMING; // complete_formation
        } finally {
            unlock();
        }
        initialise(module, params);
    }

    private InitContext newContext(LoadedModule module) {
        return new InitContext(module, registries, steps, faults.of(module.name()).failAfterRegister());
    }

    private static KernelModule instantiate(ServiceLoader.Provider<KernelModule> provider, String file)
            throws DmException {
        try {
            return provider.get();
        } catch (ServiceConfigurationError e) {
            throw new DmException(Errno.ENOEXEC, "%s: cannot instantiate the module: %s", file, e.getMessage());
        }
    }

    /**
     * The duplicate check (main.c: add_unformed_module, module_patient_check_exists), under {@link #mutex}; may wait on
     * {@link #moduleWq}. Returns with the mutex held and no module of that name in the list.
     */
    private void checkExisting(String name) throws DmException {
        while (true) {
            LoadedModule old = modules.get(name);
            if (old == null) {
                return;
            }
            switch (policy.loaderDup()) {
                case EBUSY_NO_RETRY:
                    if (old.state.loading()) {
                        awaitModuleWq(() -> finishedLoading(name), Long.MAX_VALUE, name);
                        old = modules.get(name); // it might have gone in the meantime
                    }
                    if (old != null && old.state == ModuleState.LIVE) {
                        throw alreadyLoaded(name);
                    }
                    throw new DmException(Errno.EBUSY, old == null ? "a concurrent load of module %s failed"
                            : old.state == ModuleState.GOING ? "module %s is going away"
                            : "module %s is being loaded by someone else", name);
                case RETRY_UNTIL_GONE:
                    if (old.state != ModuleState.LIVE) {
                        awaitModuleWq(() -> {
                            LoadedModule m = modules.get(name);
                            return m == null || m.state == ModuleState.LIVE;
                        }, Long.MAX_VALUE, name);
                        continue;
                    }
                    throw alreadyLoaded(name);
                case LEGACY_EEXIST_ON_GOING:
                    if (old.state.loading()) {
                        awaitModuleWq(() -> finishedLoading(name), Long.MAX_VALUE, name);
                        continue;
                    }
                    throw alreadyLoaded(name);
                default:
                    throw new IllegalStateException("unknown policy " + policy.loaderDup());
            }
        }
    }

    private static DmException alreadyLoaded(String name) {
        return new DmException(Errno.EEXIST, "module %s is already loaded", name);
    }

    /** {@code finished_loading}: absent, LIVE or GOING. Called under {@link #mutex}. */
    private boolean finishedLoading(String name) {
        LoadedModule m = modules.get(name);
        return m == null || !m.state.loading();
    }

    /**
     * Takes a reference on each module whose symbols this one uses (a strong get: a COMING provider
     * is waited for up to the symbol wait; an absent or GOING one is an unknown symbol) and records
     * the use link once.
     */
    private void resolveUses(LoadedModule module) throws DmException {
        for (String used : module.code().uses()) {
            String name = ModuleNames.canonical(used);
            if (builtins.containsKey(name) || name.equals(module.name())) {
                continue; // built-in symbols need no reference
            }
            lock();
            try {
                boolean settled = awaitModuleWq(() -> {
                    LoadedModule p = findFormed(name);
                    return p == null || p.state != ModuleState.COMING;
                }, symbolWaitNanos, name);
                if (!settled) {
                    warn(module.name() + ": gave up waiting for init of module " + name + ".");
                    throw new DmException(Errno.EBUSY, "%s: gave up waiting for init of module %s", module.name(), name);
                }
                LoadedModule provider = findFormed(name);
                if (provider == null || !provider.tryGet()) {
                    warn(module.name() + ": Unknown symbol from module " + name + " (err -2)");
                    throw new DmException(Errno.ENOENT, "%s: Unknown symbol: module %s is not loaded", module.name(), name);
                }
                if (module.uses.contains(provider)) {
                    provider.put();
                } else {
                    module.uses.add(provider);
                    provider.holders.add(module);
                }
            } finally {
                unlock();
            }
        }
    }

    /** COMING: parameters, the sysfs directory, its attributes, then init() with no lock held. */
    private void initialise(LoadedModule module, String params) throws DmException {
        DmException failure;
        try {
            for (String param : params.trim().isEmpty() ? new String[0] : params.trim().split("\\s+")) {
                String key = param.contains("=") ? param.substring(0, param.indexOf('=')) : param;
                warn(module.name() + ": unknown parameter '" + key + "' ignored");
            }
            lock();
            try {
                module.sysfsDirectory = true;
            } finally {
                unlock();
            }
            steps.reached(Step.MODULE_SYSFS_DIR, module.name());
            lock();
            try {
                module.sysfsAttributes = true;
            } finally {
                unlock();
            }
            steps.reached(Step.MODULE_INIT, module.name());
            runInit(module);
            failure = null;
        } catch (DmException e) {
            failure = e;
        } catch (RuntimeException e) {
            events.log(KernelMessage.Level.ERROR, module.name() + ": init crashed: " + e);
            failure = new DmException(Errno.EFAULT, "%s: init crashed: %s", module.name(), e);
        }
        if (failure == null) {
            goLive(module);
            return;
        }
        if (failure.errno() == Errno.EEXIST && policy.eexistSafetyNet()) {
            warn(module.name() + ": init suspiciously returned -EEXIST: Overriding with -EBUSY");
            failure = new DmException(Errno.EBUSY, "%s: init failed: %s", module.name(), failure.getMessage());
        }
        lock();
        try {
            module.state = ModuleState.GOING;
            module.dropInitReference();
            module.loadingThread = null;
        } finally {
            unlock();
        }
        unregisterLeftovers(module, "init failed");
        free(module, "after its init failed");
        throw failure;
    }

    /** Injected delay and failure, then the module's init, then the fail-after-register check. */
    private void runInit(LoadedModule module) throws DmException {
        ModuleFaults.Fault fault = faults.of(module.name());
        if (!fault.delay().isZero()) {
            assert LockRank.noneHeld();
            try {
                disabled.await(fault.delay().toNanos(), TimeUnit.NANOSECONDS); // ends early when disabled
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DmException(Errno.EINTR, "%s: init interrupted during its injected delay", module.name());
            }
        }
        if (fault.failBeforeInit() != null) {
            throw new DmException(fault.failBeforeInit(), "%s: init failed (injected %s)", module.name(),
                    fault.failBeforeInit());
        }
        module.context.beginInit();
        try {
            module.code().init(module.context);
            module.context.checkFailAfterRegister(this::warn);
        } finally {
            module.context.endInit();
        }
    }

    private void goLive(LoadedModule module) {
        lock();
        try {
            module.state = ModuleState.LIVE;
            module.dropInitReference();
            module.loadingThread = null;
            events.uevent(UeventAction.ADD, "module", "/module/" + module.name(), Map.of());
            module.addUeventSent = true;
            moduleWq.signalAll();
        } finally {
            unlock();
        }
    }

    /** A load that failed before COMING: out of the list, use references dropped, waiters woken. */
    private void unlinkUnformed(LoadedModule module) {
        lock();
        try {
            module.state = ModuleState.GOING;
            module.loadingThread = null;
            modules.remove(module.name(), module);
            dropUses(module);
            moduleWq.signalAll();
        } finally {
            unlock();
        }
    }

    /**
     * {@code delete_module(name, O_NONBLOCK [| O_TRUNC])} with the checks in the kernel's order (main.c: delete_module).
     *
     * @throws DmException ENOENT (not loaded, or built in), EAGAIN (used by another module),
     *                     EBUSY (not LIVE), EBUSY (permanent, unless forced), EAGAIN (in use,
     *                     unless forced), EPERM (disabled)
     */
    void deleteModule(String name, boolean force) throws DmException {
        if (disabled.getCount() == 0) {
            throw new DmException(Errno.EPERM, "module removal is disabled");
        }
        String canonical = ModuleNames.canonical(name);
        LoadedModule module;
        lock();
        try {
            module = findFormed(canonical);
            if (module == null) {
                throw new DmException(Errno.ENOENT, builtins.containsKey(canonical)
                        ? "module %s is built in" : "module %s is not loaded", canonical);
            }
            if (!module.holders.isEmpty()) {
                throw new DmException(Errno.EAGAIN, "module %s is used by %s", canonical, names(module.holders));
            }
            if (module.state != ModuleState.LIVE) {
                throw new DmException(Errno.EBUSY, "module %s is %s, not live", canonical, module.state.initstateText());
            }
            if (!module.code().hasExit() && !force) {
                throw new DmException(Errno.EBUSY, "module %s has no exit and cannot be removed (permanent)", canonical);
            }
            module.baseDropped = module.tryStop();
            if (!module.baseDropped && !force) {
                throw new DmException(Errno.EAGAIN, "module %s is in use (refcount %d)", canonical, module.refcount());
            }
            module.state = ModuleState.GOING;
        } finally {
            unlock();
        }
        try {
            steps.reached(Step.MODULE_GOING, canonical);
            if (module.code().hasExit()) {
                module.code().exit(module.context);
            }
        } catch (RuntimeException e) {
            events.log(KernelMessage.Level.ERROR, canonical + ": exit crashed: " + e);
        } finally {
            unregisterLeftovers(module, "exit");
            free(module, force ? "by a forced removal" : "on removal");
        }
    }

    private void unregisterLeftovers(LoadedModule module, String what) {
        List<String> left = module.context.unregisterAll(this::warn);
        if (!left.isEmpty()) {
            warn(module.name() + ": " + what + " left types registered, unregistered them: " + String.join(", ", left));
        }
    }

    /** Takes the module out of the list and sysfs, drops its use links, reports leaked references, wakes waiters. */
    private void free(LoadedModule module, String how) {
        lock();
        try {
            modules.remove(module.name(), module);
            module.sysfsDirectory = false;
            module.sysfsAttributes = false;
            dropUses(module);
            int outstanding = module.outstandingReferences();
            if (outstanding > 0) {
                freedWhileReferenced.incrementAndGet();
                warn(module.name() + ": freed " + how + " with " + outstanding
                        + " reference(s) still held: their holders now use a freed module");
            }
            if (module.addUeventSent) {
                events.uevent(UeventAction.REMOVE, "module", "/module/" + module.name(), Map.of());
            }
            moduleWq.signalAll();
        } finally {
            unlock();
        }
    }

    /** Drops the references this module holds on the modules it uses. Called under {@link #mutex}. */
    private void dropUses(LoadedModule module) {
        for (LoadedModule provider : module.uses) {
            provider.holders.remove(module);
            provider.put();
        }
        module.uses.clear();
    }

    /** Waits until {@code module} is no longer loading; see {@link LoadedModule#awaitSettled}. */
    void awaitSettled(LoadedModule module) throws DmException {
        lock();
        try {
            awaitModuleWq(() -> !module.state.loading(), Long.MAX_VALUE, module.name());
        } finally {
            unlock();
        }
    }

    /**
     * Waits on {@link #moduleWq} (releasing {@link #mutex}) until {@code done} holds.
     *
     * @return false if {@code nanos} passed first
     * @throws DmException EINTR if interrupted (the interrupt status is kept)
     */
    private boolean awaitModuleWq(BooleanSupplier done, long nanos, String name) throws DmException {
        long remaining = nanos;
        while (!done.getAsBoolean()) {
            if (remaining <= 0) {
                return false;
            }
            assert LockRank.MODULE_LOADER.released();
            assert LockRank.noneHeld();
            try {
                remaining = moduleWq.awaitNanos(remaining);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DmException(Errno.EINTR, "interrupted while waiting for module %s", name);
            } finally {
                assert LockRank.MODULE_LOADER.acquired();
            }
        }
        return true;
    }

    /** {@code find_module}: a formed (not UNFORMED) module in the list. Called under {@link #mutex}. */
    private LoadedModule findFormed(String name) {
        LoadedModule m = modules.get(name);
        return m == null || m.state == ModuleState.UNFORMED ? null : m;
    }

    /** A built-in or a formed loaded module, by any spelling of its name. */
    Optional<LoadedModule> find(String name) {
        String canonical = ModuleNames.canonical(name);
        LoadedModule builtin = builtins.get(canonical);
        if (builtin != null) {
            return Optional.of(builtin);
        }
        lock();
        try {
            return Optional.ofNullable(findFormed(canonical));
        } finally {
            unlock();
        }
    }

    /** What {@code /sys/module/NAME} shows, or empty if the directory does not exist. */
    Optional<Sysfs> sysfs(String canonical) {
        if (builtins.containsKey(canonical)) {
            return Optional.of(Sysfs.BUILTIN); // dm-mod has parameters, so its directory exists
        }
        lock();
        try {
            LoadedModule m = modules.get(canonical);
            if (m == null || !m.sysfsDirectory) {
                return Optional.empty();
            }
            return Optional.of(m.sysfsAttributes
                    ? new Sysfs(Optional.of(m.state.initstateText()), OptionalInt.of(m.refcount()), names(m.holders))
                    : new Sysfs(Optional.empty(), OptionalInt.empty(), names(m.holders)));
        } finally {
            unlock();
        }
    }

    /** lsmod: loaded modules newest first (as {@code /proc/modules}), then built-ins in index order. */
    List<ModuleInfo> list() {
        List<ModuleInfo> list = new ArrayList<>();
        lock();
        try {
            for (LoadedModule m : modules.values()) {
                if (m.state != ModuleState.UNFORMED) {
                    list.add(new ModuleInfo(m.name(), m.state, m.refcount(), names(m.holders), false));
                }
            }
        } finally {
            unlock();
        }
        Collections.reverse(list);
        for (LoadedModule b : builtins.values()) {
            list.add(new ModuleInfo(b.name(), ModuleState.LIVE, 0, List.of(), true));
        }
        return list;
    }

    /** How many modules were freed while others still held references (the hazard of do_init_module's failure path). */
    long freedWhileReferenced() {
        return freedWhileReferenced.get();
    }

    /** Disables loading and removal (EPERM) and ends injected delays. */
    void disable() {
        disabled.countDown();
    }

    /** Threads waiting on {@code module_wq} (for tests that must know a waiter is parked). */
    int moduleWqWaiters() {
        lock();
        try {
            return mutex.getWaitQueueLength(moduleWq);
        } finally {
            unlock();
        }
    }

    /** Threads waiting for the concurrent load of {@code file} (for tests). */
    int sameFileWaiters(String file) {
        SameFileLoad load = sameFileLoads.get(file);
        return load == null ? 0 : load.waiters.get();
    }

    void warn(String text) {
        events.log(KernelMessage.Level.WARNING, text);
    }

    private static List<String> names(Iterable<LoadedModule> modules) {
        List<String> names = new ArrayList<>();
        for (LoadedModule m : modules) {
            names.add(m.name());
        }
        return names;
    }

    private void lock() {
        mutex.lock();
        assert LockRank.MODULE_LOADER.acquired();
    }

    private void unlock() {
        assert LockRank.MODULE_LOADER.released();
        mutex.unlock();
    }

    /** A module's sysfs directory: {@code initstate} and {@code refcnt} exist once the attributes are created. */
    record Sysfs(Optional<String> initstate, OptionalInt refcnt, List<String> holders) {
        static final Sysfs BUILTIN = new Sysfs(Optional.empty(), OptionalInt.empty(), List.of());
    }

    /** One in-flight {@code finit_module} of a file; the others wait for its result. */
    private static final class SameFileLoad {
        private final String file;
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicInteger waiters = new AtomicInteger();
        /** Written once before {@link #done} opens. */
        private volatile DmException failure;

        SameFileLoad(String file) {
            this.file = file;
        }

        void complete(DmException failure) {
            this.failure = failure;
            done.countDown();
        }

        void awaitResult() throws DmException {
            assert LockRank.noneHeld();
            waiters.incrementAndGet();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DmException(Errno.EINTR, "interrupted while waiting for the concurrent load of %s", file);
            } finally {
                waiters.decrementAndGet();
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
