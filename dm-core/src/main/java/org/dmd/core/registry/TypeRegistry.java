package org.dmd.core.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.dmd.core.concurrent.LockRank;
import org.dmd.core.concurrent.Step;
import org.dmd.core.concurrent.StepHook;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.event.EventBus;
import org.dmd.core.event.KernelMessage;
import org.dmd.core.module.LoadedModule;
import org.dmd.core.module.ModulePolicy;

/**
 * One device-mapper type registry (targets, path selectors, dirty logs or exception stores):
 * a name-unique map of types, each owned by the module that registered it (dm-target.c: dm_register_target, dm_get_target_type and their siblings).
 *
 * <p>Invariants:
 * <ul>
 *   <li>A name is registered at most once; a duplicate gets the policy errno (EBUSY, or EEXIST
 *       under the legacy switch) and leaves the first registration in place.</li>
 *   <li>An open {@link TypeRef} holds a reference on the type's owner module, except for path
 *       selectors, where the owner reference is held exactly while the type's use counter is
 *       positive (first user takes it, last user drops it). The counter is changed only by CAS,
 *       so concurrent gets and puts never lose an update (the kernel's counter can: dm-path-selector.c: dm_put_path_selector).</li>
 *   <li>A type whose owner is GOING is never handed out (the owner's {@code tryGet} fails).
 *       Under {@link ModulePolicy.ComingTypePolicy#WAIT} a type whose owner is still loading in
 *       another thread is handed out only once the owner is LIVE; its own loading thread takes
 *       it at once (no self-deadlock).</li>
 *   <li>{@link #lock} is held only to look up, insert or remove; never across request_module,
 *       a wait for a module, a step or an event listener.</li>
 * </ul>
 */
public final class TypeRegistry<T extends RegisteredType> {

    private final RegistryKind kind;
    private final ModulePolicy policy;
    private final ModuleRequester requester;
    private final EventBus events;
    private final StepHook steps;

    /** The registry's list lock (rank {@link LockRank#REGISTRY}); readers look up and take. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** Registered types by name in registration order. Guarded by {@link #lock}. */
    private final LinkedHashMap<String, Entry<T>> entries = new LinkedHashMap<>();

    TypeRegistry(RegistryKind kind, ModulePolicy policy, ModuleRequester requester, EventBus events, StepHook steps) {
        this.kind = kind;
        this.policy = policy;
        this.requester = requester;
        this.events = events;
        this.steps = steps;
    }

    /**
     * Looks a type up and takes a reference on its owner module ({@code dm_get_target_type} and
     * friends). On a miss requests the module {@code <prefix><name>} with no lock held and looks
     * once more; dirty logs and exception stores instead retry with the name cut at its last dash
     * until a request succeeds and the type appears, or no dash is left.
     *
     * @return the type, or empty if it does not exist (also when its module failed to load)
     * @throws DmException EINTR if interrupted while waiting for a module
     */
    public Optional<TypeRef<T>> get(String name) throws DmException {
        Objects.requireNonNull(name, "name");
        Optional<TypeRef<T>> ref = take(name);
        if (ref.isPresent()) {
            return ref;
        }
        if (!kind.truncatingAutoload) {
            request(kind.autoloadPrefix + name);
            return take(name);
        }
        String candidate = name;
        while (true) {
            if (request(kind.autoloadPrefix + candidate)) {
                ref = take(name);
                if (ref.isPresent()) {
                    return ref;
                }
            }
            int dash = candidate.lastIndexOf('-');
            if (dash < 0) {
                break;
            }
            candidate = candidate.substring(0, dash);
        }
        events.log(KernelMessage.Level.WARNING, String.format(kind.notFoundWarning, name));
        return Optional.empty();
    }

    /** Registered types, most recently registered first (the kernel's list order, as LIST_VERSIONS shows it). */
    public List<T> list() {
        List<T> types = new ArrayList<>();
        lock.readLock().lock();
        assert LockRank.REGISTRY.acquired();
        try {
            for (Entry<T> entry : entries.values()) {
                types.add(entry.type);
            }
        } finally {
            assert LockRank.REGISTRY.released();
            lock.readLock().unlock();
        }
        Collections.reverse(types);
        return types;
    }

    /**
     * Registers a type owned by {@code owner}. For the module loader, which binds this to a
     * module's {@link org.dmd.core.module.Registration}.
     *
     * @throws DmException EBUSY (EEXIST under the legacy policy) if the name is taken
     */
    public void register(T type, LoadedModule owner) throws DmException {
        String name = type.name();
        Entry<T> existing;
        lock.writeLock().lock();
        assert LockRank.REGISTRY.acquired();
        try {
            existing = entries.get(name);
            if (existing == null) {
                entries.put(name, new Entry<>(type, owner));
            }
        } finally {
            assert LockRank.REGISTRY.released();
            lock.writeLock().unlock();
        }
        if (existing != null) {
            if (kind == RegistryKind.TARGET) {
                events.log(KernelMessage.Level.ERROR,
                        "device-mapper: target: dm_register_target: '" + name + "' target already registered");
            }
            throw new DmException(policy.registryDuplicateErrno(), "%s '%s' is already registered by module %s",
                    kind.noun, name, existing.owner.name());
        }
    }

    /**
     * Unregisters a type that {@code owner} registered. For the module loader.
     *
     * @throws DmException EINVAL if {@code owner} has no type of that name registered here
     *                     (path selectors, dirty logs, exception stores); ETXTBSY if a path
     *                     selector is still in use
     * @throws IllegalStateException for a target type that {@code owner} did not register: the
     *                     kernel BUG()s there, it is a module bug
     */
    public void unregister(T type, LoadedModule owner) throws DmException {
        String name = type.name();
        Entry<T> entry;
        int users = 0;
        lock.writeLock().lock();
        assert LockRank.REGISTRY.acquired();
        try {
            entry = entries.get(name);
            if (entry != null && entry.owner == owner) {
                users = entry.users.get();
                if (!kind.firstUserReference || users == 0) {
                    entries.remove(name);
                }
            }
        } finally {
            assert LockRank.REGISTRY.released();
            lock.writeLock().unlock();
        }
        if (entry == null || entry.owner != owner) {
            if (kind.unknownUnregisterIsFatal) {
                throw new IllegalStateException("BUG: module " + owner.name() + " unregisters " + kind.noun
                        + " type '" + name + "' it did not register");
            }
            throw new DmException(Errno.EINVAL, "%s '%s' is not registered by module %s", kind.noun, name, owner.name());
        }
        if (users > 0) {
            throw new DmException(Errno.ETXTBSY, "%s '%s' is in use by %d users", kind.noun, name, users);
        }
    }

    /** The use counter of a path-selector type (0 if absent); for invariant checks. */
    int users(String name) {
        lock.readLock().lock();
        assert LockRank.REGISTRY.acquired();
        try {
            Entry<T> entry = entries.get(name);
            return entry == null ? 0 : entry.users.get();
        } finally {
            assert LockRank.REGISTRY.released();
            lock.readLock().unlock();
        }
    }

    /** Looks up and takes, waiting (with no lock held) for an owner still loading in another thread. */
    private Optional<TypeRef<T>> take(String name) throws DmException {
        while (true) {
            LoadedModule loading;
            lock.readLock().lock();
            assert LockRank.REGISTRY.acquired();
            try {
                Entry<T> entry = entries.get(name);
                if (entry == null) {
                    return Optional.empty();
                }
                boolean wait = policy.comingTypes() == ModulePolicy.ComingTypePolicy.WAIT
                        && entry.owner.loadingInAnotherThread();
                if (!wait) {
                    return acquire(entry) ? Optional.of(new Ref(entry)) : Optional.empty();
                }
                loading = entry.owner;
            } finally {
                assert LockRank.REGISTRY.released();
                lock.readLock().unlock();
            }
            loading.awaitSettled();
        }
    }

    /** Takes the owner reference for one more user; false if the owner is going away. */
    private boolean acquire(Entry<T> entry) {
        if (!kind.firstUserReference) {
            return entry.owner.tryGet();
        }
        while (true) {
            int users = entry.users.get();
            if (users > 0) {
                if (entry.users.compareAndSet(users, users + 1)) {
                    return true;
                }
            } else {
                if (!entry.owner.tryGet()) {
                    return false;
                }
                if (entry.users.compareAndSet(0, 1)) {
                    return true;
                }
                entry.owner.put(); // another first user won; count ourselves as an ordinary user
            }
        }
    }

    private void release(Entry<T> entry) {
        if (kind.firstUserReference) {
            int users;
            do {
                users = entry.users.get();
                if (users <= 0) {
                    throw new IllegalStateException("BUG: " + kind.noun + " '" + entry.type.name() + "' put more often than taken");
                }
            } while (!entry.users.compareAndSet(users, users - 1));
            if (users == 1) {
                entry.owner.put();
            }
            return;
        }
        if (kind.putOnlyIfRegistered && !isRegistered(entry)) {
            return;
        }
        entry.owner.put();
    }

    private boolean isRegistered(Entry<T> entry) {
        lock.readLock().lock();
        assert LockRank.REGISTRY.acquired();
        try {
            return entries.get(entry.type.name()) == entry;
        } finally {
            assert LockRank.REGISTRY.released();
            lock.readLock().unlock();
        }
    }

    /** request_module with the result reduced to "the tool said OK"; only an interrupt is passed on. */
    private boolean request(String module) throws DmException {
        steps.reached(Step.REQUEST_MODULE, module);
        assert LockRank.noneHeld();
        int status;
        try {
            status = requester.requestModule(module);
        } catch (DmException e) {
            if (e.errno() == Errno.EINTR) {
                throw e;
            }
            status = -e.errno().number();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw new DmException(Errno.EINTR, "interrupted while requesting module %s", module);
        }
        return status == 0;
    }

    @Override
    public String toString() {
        return kind.noun + " registry";
    }

    /** A registered type and its owner; {@code users} counts holders for path selectors only. */
    private static final class Entry<T> {
        final T type;
        final LoadedModule owner;
        final AtomicInteger users = new AtomicInteger();

        Entry(T type, LoadedModule owner) {
            this.type = type;
            this.owner = owner;
        }
    }

    private final class Ref implements TypeRef<T> {
        private final Entry<T> entry;
        private final AtomicBoolean closed = new AtomicBoolean();

        Ref(Entry<T> entry) {
            this.entry = entry;
        }

        @Override
        public T type() {
            return entry.type;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(entry);
            }
        }

        @Override
        public String toString() {
            return kind.noun + " " + entry.type.name() + " of " + entry.owner.name() + (closed.get() ? " (put)" : "");
        }
    }
}
