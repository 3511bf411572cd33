package org.dmd.core.module;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmd.core.errno.DmException;

/**
 * A module in the kernel ({@code struct module}): a loaded module, or a built-in one.
 *
 * <p>Reference counting follows kernel/module/main.c: try_module_get, module_put, module_refcount. The raw counter starts at a base reference
 * (the loader's) plus one held during init; the visible count is raw − 1, so it reads 1 while
 * COMING and 0 for an idle LIVE module. {@link #tryGet} succeeds while the state is not GOING and
 * the raw counter is not zero; delete_module stops a module by moving the raw counter from 1 to 0,
 * so a concurrent {@code tryGet} either wins (and the removal fails EAGAIN) or fails. A built-in
 * has no counter: {@code tryGet} always succeeds and {@code put} does nothing.
 *
 * <p>Guards: {@code state} and {@code loadingThread} are written under the loader's mutex and read
 * without it (as the kernel reads {@code mod->state}); {@code uses}, {@code holders} and the sysfs
 * and uevent flags are guarded by the loader's mutex; the counter is atomic.
 */
public final class LoadedModule {

    /** The loader's own reference; delete_module drops it. */
    private static final int BASE_REFERENCE = 1;

    private final ModuleLoader loader;
    private final String name;
    private final KernelModule code;
    private final boolean builtin;
    /** What init and exit see; tracks the types registered through it. */
    final InitContext context;
    private final AtomicInteger refcount = new AtomicInteger(BASE_REFERENCE + 1);

    volatile ModuleState state;
    /** The thread loading this module until it settles (LIVE or GOING); it may take its own types. */
    volatile Thread loadingThread;

    /** Modules whose symbols this one uses; one reference held on each. Guarded by the loader's mutex. */
    final List<LoadedModule> uses = new ArrayList<>();
    /** Modules using this one ({@code holders/}, lsmod "Used by"). Guarded by the loader's mutex. */
    final Set<LoadedModule> holders = new LinkedHashSet<>();
    /** {@code /sys/module/NAME} exists. Guarded by the loader's mutex. */
    boolean sysfsDirectory;
    /** {@code initstate}, {@code refcnt} exist. Guarded by the loader's mutex. */
    boolean sysfsAttributes;
    /** The module ADD uevent was sent (so freeing sends REMOVE). Guarded by the loader's mutex. */
    boolean addUeventSent;
    /** delete_module dropped the base reference. Guarded by the loader's mutex. */
    boolean baseDropped;

    LoadedModule(ModuleLoader loader, String name, KernelModule code, boolean builtin, InitContext.Factory contexts) {
        this.loader = loader;
        this.name = name;
        this.code = code;
        this.builtin = builtin;
        this.state = builtin ? ModuleState.LIVE : ModuleState.UNFORMED;
        this.context = contexts.create(this);
    }

    /** Canonical name, e.g. {@code dm_mirror}. */
    public String name() {
        return name;
    }

    public ModuleState state() {
        return state;
    }

    /** Compiled in: never loaded or removed, no reference count. */
    public boolean builtin() {
        return builtin;
    }

    /** The visible reference count ({@code refcnt}, lsmod "Used by" count): raw − 1; 0 for a built-in. */
    public int refcount() {
        return builtin ? 0 : refcount.get() - BASE_REFERENCE;
    }

    /**
     * {@code try_module_get}: takes a reference unless the module is GOING or being stopped.
     * Succeeds for a COMING module (main.c: try_module_get fails only for GOING).
     */
    public boolean tryGet() {
        if (builtin) {
            return true;
        }
        if (state == ModuleState.GOING) {
            return false;
        }
        int raw;
        do {
            raw = refcount.get();
            if (raw == 0) {
                return false;
            }
        } while (!refcount.compareAndSet(raw, raw + 1));
        return true;
    }

    /** {@code module_put}: drops a reference taken by {@link #tryGet}; an underflow is warned about and ignored. */
    public void put() {
        if (builtin) {
            return;
        }
        int raw;
        do {
            raw = refcount.get();
            if (raw <= 0) {
                loader.warn(name + ": module_put with no reference held (refcount underflow)");
                return;
            }
        } while (!refcount.compareAndSet(raw, raw - 1));
    }

    /** True while the module is still loading and the current thread is not the one loading it. */
    public boolean loadingInAnotherThread() {
        return state.loading() && loadingThread != Thread.currentThread();
    }

    /**
     * Waits until the module is no longer loading (LIVE, or GOING/freed after a failed load).
     *
     * @throws DmException EINTR if interrupted (the thread's interrupt status is kept)
     */
    public void awaitSettled() throws DmException {
        loader.awaitSettled(this);
    }

    KernelModule code() {
        return code;
    }

    /** Drops the reference held during init. */
    void dropInitReference() {
        refcount.decrementAndGet();
    }

    /** {@code try_release_module_ref}: drops the base reference if it is the only one left. */
    boolean tryStop() {
        return refcount.compareAndSet(BASE_REFERENCE, 0);
    }

    /** References beyond the loader's own: what is still held by others when the module is freed. */
    int outstandingReferences() {
        return refcount.get() - (baseDropped ? 0 : BASE_REFERENCE);
    }

    @Override
    public String toString() {
        return name + (builtin ? " [builtin]" : " [" + state + ", refcnt " + refcount() + "]");
    }
}
