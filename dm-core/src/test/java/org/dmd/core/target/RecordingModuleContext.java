package org.dmd.core.target;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;
import org.dmd.core.module.ModuleContext;
import org.dmd.core.module.Registration;
import org.dmd.core.registry.RegisteredType;

/**
 * A module context for tests: four registries that record what is registered, in order, and a
 * journal of every register/unregister. A name can be made to fail registration with a chosen
 * errno; a duplicate name fails with EBUSY, an unknown unregister with EINVAL.
 */
public final class RecordingModuleContext implements ModuleContext {

    /** One registry: the live types by name, in registration order. */
    public final class Recorder<T extends RegisteredType> implements Registration<T> {

        private final String kind;
        private final LinkedHashMap<String, T> live = new LinkedHashMap<>();

        Recorder(String kind) {
            this.kind = kind;
        }

        @Override
        public void register(T type) throws DmException {
            synchronized (RecordingModuleContext.this) {
                Errno failure = failures.get(type.name());
                if (failure != null) {
                    journal.add("fail " + kind + " " + type.name());
                    throw new DmException(failure, "'%s' %s registration failed (test)", type.name(), kind);
                }
                if (live.containsKey(type.name())) {
                    throw new DmException(Errno.EBUSY, "'%s' %s already registered", type.name(), kind);
                }
                live.put(type.name(), type);
                journal.add("register " + kind + " " + type.name());
            }
        }

        @Override
        public void unregister(T type) throws DmException {
            synchronized (RecordingModuleContext.this) {
                if (live.remove(type.name()) == null) {
                    throw new DmException(Errno.EINVAL, "'%s' %s is not registered", type.name(), kind);
                }
                journal.add("unregister " + kind + " " + type.name());
            }
        }

        /** Names registered now, oldest first. */
        public List<String> names() {
            synchronized (RecordingModuleContext.this) {
                return new ArrayList<>(live.keySet());
            }
        }

        public T get(String name) {
            synchronized (RecordingModuleContext.this) {
                return live.get(name);
            }
        }
    }

    private final String moduleName;
    private final Map<String, Errno> failures = new HashMap<>();
    private final List<String> journal = new ArrayList<>();
    private final Recorder<TargetType> targets = new Recorder<>("target");
    private final Recorder<PathSelectorType> pathSelectors = new Recorder<>("path-selector");
    private final Recorder<DirtyLogType> dirtyLogs = new Recorder<>("dirty-log");
    private final Recorder<ExceptionStoreType> exceptionStores = new Recorder<>("exception-store");

    public RecordingModuleContext(String moduleName) {
        this.moduleName = moduleName;
    }

    /** Makes registering a type of this name fail with {@code errno}. */
    public synchronized RecordingModuleContext failRegistration(String typeName, Errno errno) {
        failures.put(typeName, errno);
        return this;
    }

    /** Every register, failed register and unregister so far, e.g. {@code register target linear}. */
    public synchronized List<String> journal() {
        return new ArrayList<>(journal);
    }

    /** Names of every type registered now in any registry. */
    public List<String> allLiveNames() {
        List<String> names = new ArrayList<>();
        names.addAll(targets.names());
        names.addAll(pathSelectors.names());
        names.addAll(dirtyLogs.names());
        names.addAll(exceptionStores.names());
        return names;
    }

    @Override
    public String moduleName() {
        return moduleName;
    }

    @Override
    public Recorder<TargetType> targets() {
        return targets;
    }

    @Override
    public Recorder<PathSelectorType> pathSelectors() {
        return pathSelectors;
    }

    @Override
    public Recorder<DirtyLogType> dirtyLogs() {
        return dirtyLogs;
    }

    @Override
    public Recorder<ExceptionStoreType> exceptionStores() {
        return exceptionStores;
    }

}
