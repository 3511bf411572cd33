package org.dmd.core.target.support;

import java.util.List;
import org.dmd.core.errno.DmException;
import org.dmd.core.module.KernelModule;
import org.dmd.core.module.ModuleContext;

/**
 * A module whose init registers a fixed list of types in order and whose exit unregisters them,
 * as every device-mapper module does. If a registration fails, init unregisters what it already
 * registered, newest first, and fails with that registration's errno (dm-log rolling back
 * {@code core} when {@code disk} fails; dm-snapshot rolling back its stores).
 *
 * <p>Immutable; init and exit keep no state here, the registries hold it.
 */
public abstract class TypeModule implements KernelModule {

    private static final System.Logger LOG = System.getLogger(TypeModule.class.getName());

    private final String name;
    private final List<String> uses;
    private final List<TypeRegistration<?>> registrations;

    protected TypeModule(String name, List<String> uses, List<TypeRegistration<?>> registrations) {
        this.name = name;
        this.uses = List.copyOf(uses);
        this.registrations = List.copyOf(registrations);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final List<String> uses() {
        return uses;
    }

    /** What init registers, in registration order. */
    public final List<TypeRegistration<?>> registrations() {
        return registrations;
    }

    @Override
    public final void init(ModuleContext context) throws DmException {
        for (int i = 0; i < registrations.size(); i++) {
            try {
                registrations.get(i).register(context);
            } catch (DmException e) {
                unregister(context, i);
                throw e;
            }
        }
    }

    @Override
    public final void exit(ModuleContext context) {
        unregister(context, registrations.size());
    }

    /** Unregisters the first {@code count} registrations, newest first; failures are only logged. */
    private void unregister(ModuleContext context, int count) {
        for (int i = count - 1; i >= 0; i--) {
            TypeRegistration<?> registration = registrations.get(i);
            try {
                registration.unregister(context);
            } catch (DmException e) {
                LOG.log(System.Logger.Level.WARNING, "{0}: couldn''t unregister {1}: {2}", name, registration, e);
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
