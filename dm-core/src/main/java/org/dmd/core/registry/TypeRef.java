package org.dmd.core.registry;

/**
 * A type taken from a {@link TypeRegistry}: while open it pins the module that provides the type
 * (a reference on it, or for path selectors a share of the first user's reference), so the module
 * cannot be unloaded. Closing it is the kernel's {@code put}; closing twice is a no-op.
 */
public interface TypeRef<T> extends AutoCloseable {

    T type();

    @Override
    void close();
}
