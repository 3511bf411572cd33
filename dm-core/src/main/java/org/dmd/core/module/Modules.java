package org.dmd.core.module;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.event.EventBus;
import org.dmd.core.registry.Registries;

/**
 * dmd's module subsystem in one place: the kernel loader, kmod's tools, request_module and the
 * four type registries, wired to one index, policy and fault set. What the daemon calls for
 * {@code dmctl modprobe}, {@code modprobe -r}, {@code rmmod}, {@code insmod} and {@code lsmod}, and
 * what the table code takes types from ({@link #registries()}).
 *
 * <p>Thread-safe. Building it runs the built-in modules' init once. {@link #close()} disables
 * loading and removal (EPERM afterwards) and ends injected init delays early.
 */
public final class Modules implements AutoCloseable {

    /** The kernel's request_module concurrency cap. */
    public static final int DEFAULT_REQUEST_MODULE_LIMIT = 50;
    /** How long a request over the cap waits before failing ETIME. */
    public static final Duration DEFAULT_REQUEST_MODULE_WAIT = Duration.ofSeconds(5);
    /** How long a loader waits for a COMING module whose symbols it uses. */
    public static final Duration DEFAULT_SYMBOL_WAIT = Duration.ofSeconds(30);

    private final ModuleIndex index;
    private final ModulePolicy policy;
    private final EventBus events;
    private final boolean ownsEvents;
    private final Registries registries;
    private final ModuleLoader loader;
    private final ModProbe modprobe;
    private final ModuleRequests requests;

    private Modules(Builder b) {
        this.index = b.index;
        this.policy = b.policy;
        this.ownsEvents = b.events == null;
        this.events = ownsEvents ? new EventBus() : b.events;
        // The registries call request_module, which needs modprobe, which needs the loader, which
        // needs the registries: the lambda closes the cycle once everything is built.
        this.registries = new Registries(policy, this::requestModule, events, b.steps);
        this.loader = new ModuleLoader(index, policy, b.faults, events, b.steps, registries, b.symbolWait);
        this.modprobe = new ModProbe(index, loader, policy);
        this.requests = new ModuleRequests(modprobe, events, b.requestLimit, b.requestWait);
        loader.initBuiltins();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code modprobe [--first-time] NAME}: resolves NAME (alias, module or built-in) and loads it
     * with its dependencies and softdeps. Returns normally for exit status 0.
     *
     * @throws DmException exit status 1: the errno and kmod's message, e.g. ENOENT "Module x not
     *                     found in directory ...", EBUSY "could not insert 'dm_mirror': Device or
     *                     resource busy", EEXIST "could not insert 'dm_zero': Module already in kernel"
     */
    public void modprobe(String name, boolean firstTime) throws DmException {
        modprobe.probe(name, firstTime);
    }

    /**
     * {@code modprobe -r NAME}: removes the module, then its dependencies nobody uses any more.
     *
     * @throws DmException e.g. EBUSY "Module dm_mirror is in use.", ENOENT "Module dm_mod is builtin."
     */
    public void modprobeRemove(String name) throws DmException {
        modprobe.remove(name);
    }

    /**
     * {@code rmmod [-f] NAME}.
     *
     * @throws DmException e.g. EBUSY "Module dm_log is in use by: dm_mirror", EBUSY "Module dm_zero
     *                     is in use", ENOENT "Module dm_mod is builtin."
     */
    public void rmmod(String name, boolean force) throws DmException {
        modprobe.rmmod(name, force);
    }

    /**
     * {@code insmod FILE}: {@code finit_module} of one file of the index (e.g.
     * {@code kernel/drivers/md/dm-zero.ko}), without dependencies or pre-checks.
     *
     * @throws DmException e.g. EEXIST "could not insert module F: File exists"
     */
    public void insmod(String file) throws DmException {
        modprobe.insmod(file);
    }

    /** lsmod: loaded modules newest first, then built-ins. */
    public List<ModuleInfo> list() {
        return loader.list();
    }

    /**
     * The module's state as kmod computes it (under the policy's kmod version).
     *
     * @throws DmException ENOENT if it is not loaded
     */
    public InitState initstate(String name) throws DmException {
        return modprobe.initstate(name);
    }

    /**
     * The kernel's {@code request_module(name)}: 0 if modprobe succeeded, else its exit status (1).
     * Success does not mean the module is loaded; callers re-check.
     *
     * @throws DmException ENAMETOOLONG, ETIME (too many concurrent requests), EINTR
     */
    public int requestModule(String name) throws DmException {
        return requests.requestModule(name);
    }

    public Registries registries() {
        return registries;
    }

    /** A built-in or loaded (COMING, LIVE or GOING) module, for taking references on it. */
    public Optional<LoadedModule> find(String name) {
        return loader.find(name);
    }

    /**
     * How many modules were freed while references on them were still held (the hazard
     * of kernel/module/main.c: do_init_module's failure path): after a failed init whose types were taken under {@code coming-types=take}, or
     * after a forced removal. Each one also produced a WARNING kernel message.
     */
    public long freedWhileReferenced() {
        return loader.freedWhileReferenced();
    }

    public ModulePolicy policy() {
        return policy;
    }

    public ModuleIndex index() {
        return index;
    }

    public EventBus events() {
        return events;
    }

    ModuleLoader loader() {
        return loader;
    }

    @Override
    public void close() {
        loader.disable();
        if (ownsEvents) {
            events.close();
        }
    }

    /** Configures a {@link Modules}; every setting has a production default. */
    public static final class Builder {
        private ModuleIndex index;
        private ModulePolicy policy = ModulePolicy.DEFAULT;
        private ModuleFaults faults = ModuleFaults.NONE;
        private EventBus events;
        private StepHook steps = StepHook.NONE;
        private int requestLimit = DEFAULT_REQUEST_MODULE_LIMIT;
        private Duration requestWait = DEFAULT_REQUEST_MODULE_WAIT;
        private Duration symbolWait = DEFAULT_SYMBOL_WAIT;

        private Builder() {
        }

        /** The module database; default {@link ModuleIndex#shipped()}. */
        public Builder index(ModuleIndex index) {
            this.index = Objects.requireNonNull(index);
            return this;
        }

        public Builder policy(ModulePolicy policy) {
            this.policy = Objects.requireNonNull(policy);
            return this;
        }

        public Builder faults(ModuleFaults faults) {
            this.faults = Objects.requireNonNull(faults);
            return this;
        }

        /** Where uevents and kernel messages go; default a private bus, closed with the {@code Modules}. */
        public Builder events(EventBus events) {
            this.events = Objects.requireNonNull(events);
            return this;
        }

        public Builder steps(StepHook steps) {
            this.steps = Objects.requireNonNull(steps);
            return this;
        }

        /** request_module's cap and admission wait; default 50 and 5 s (tests use small values). */
        public Builder requestModuleLimit(int maxConcurrent, Duration wait) {
            this.requestLimit = maxConcurrent;
            this.requestWait = Objects.requireNonNull(wait);
            return this;
        }

        /** How long a load waits for a COMING module it uses; default 30 s. */
        public Builder symbolWait(Duration wait) {
            this.symbolWait = Objects.requireNonNull(wait);
            return this;
        }

        public Modules build() {
            if (index == null) {
                index = ModuleIndex.shipped();
            }
            return new Modules(this);
        }
    }
}
