package org.dmd.core.registry;

import org.dmd.core.concurrent.StepHook;
import org.dmd.core.event.EventBus;
import org.dmd.core.module.ModulePolicy;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TargetType;

/** The four device-mapper type registries, sharing one policy and one request_module. Immutable. */
public final class Registries {

    private final TypeRegistry<TargetType> targets;
    private final TypeRegistry<PathSelectorType> pathSelectors;
    private final TypeRegistry<DirtyLogType> dirtyLogs;
    private final TypeRegistry<ExceptionStoreType> exceptionStores;

    /**
     * @param policy    duplicate errno and COMING-owner policy
     * @param requester request_module, called on a miss with no lock held
     * @param events    where the registries' kernel messages go
     * @param steps     reached at {@link org.dmd.core.concurrent.Step#REQUEST_MODULE}
     */
    public Registries(ModulePolicy policy, ModuleRequester requester, EventBus events, StepHook steps) {
        this.targets = new TypeRegistry<>(RegistryKind.TARGET, policy, requester, events, steps);
        this.pathSelectors = new TypeRegistry<>(RegistryKind.PATH_SELECTOR, policy, requester, events, steps);
        this.dirtyLogs = new TypeRegistry<>(RegistryKind.DIRTY_LOG, policy, requester, events, steps);
        this.exceptionStores = new TypeRegistry<>(RegistryKind.EXCEPTION_STORE, policy, requester, events, steps);
    }

    public TypeRegistry<TargetType> targets() {
        return targets;
    }

    public TypeRegistry<PathSelectorType> pathSelectors() {
        return pathSelectors;
    }

    public TypeRegistry<DirtyLogType> dirtyLogs() {
        return dirtyLogs;
    }

    public TypeRegistry<ExceptionStoreType> exceptionStores() {
        return exceptionStores;
    }
}
