package org.dmd.core.module;

import org.dmd.core.target.DirtyLogType;
import org.dmd.core.target.ExceptionStoreType;
import org.dmd.core.target.PathSelectorType;
import org.dmd.core.target.TargetType;

/**
 * What a module's init and exit see: the four device-mapper type registries, each bound to this
 * module as the owner of what it registers.
 */
public interface ModuleContext {

    /** Canonical name of the module being initialised or removed. */
    String moduleName();

    Registration<TargetType> targets();

    Registration<PathSelectorType> pathSelectors();

    Registration<DirtyLogType> dirtyLogs();

    Registration<ExceptionStoreType> exceptionStores();
}
