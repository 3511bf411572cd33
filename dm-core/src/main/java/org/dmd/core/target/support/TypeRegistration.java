package org.dmd.core.target.support;

import java.util.function.Function;
import org.dmd.core.errno.DmException;
import org.dmd.core.module.ModuleContext;
import org.dmd.core.module.Registration;
import org.dmd.core.registry.RegisteredType;
import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TargetType;

/** One type a module's init registers, and the registry it goes to. Immutable. */
public record TypeRegistration<T extends RegisteredType>(
        String registryName, Function<ModuleContext, Registration<T>> registry, T type) {

    public static TypeRegistration<TargetType> target(TargetType type) {
        return new TypeRegistration<>("target", ModuleContext::targets, type);
    }

    public static TypeRegistration<PathSelectorType> pathSelector(PathSelectorType type) {
        return new TypeRegistration<>("path selector", ModuleContext::pathSelectors, type);
    }

    public static TypeRegistration<DirtyLogType> dirtyLog(DirtyLogType type) {
        return new TypeRegistration<>("dirty log", ModuleContext::dirtyLogs, type);
    }

    public static TypeRegistration<ExceptionStoreType> exceptionStore(ExceptionStoreType type) {
        return new TypeRegistration<>("exception store", ModuleContext::exceptionStores, type);
    }

    void register(ModuleContext context) throws DmException {
        registry.apply(context).register(type);
    }

    void unregister(ModuleContext context) throws DmException {
        registry.apply(context).unregister(type);
    }

    @Override
    public String toString() {
        return registryName + " '" + type.name() + "'";
    }
}
