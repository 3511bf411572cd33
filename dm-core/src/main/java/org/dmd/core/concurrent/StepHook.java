package org.dmd.core.concurrent;

/**
 * Called when a thread reaches a named {@link Step}. Production uses {@link #NONE}; race tests
 * install a hook that parks chosen threads at chosen steps until the test releases them.
 * Implementations are called with no lock held and may block.
 */
@FunctionalInterface
public interface StepHook {

    StepHook NONE = (step, subject) -> { };

    /**
     * @param step    where the thread is
     * @param subject what it is working on (a device name, a minor, a module name)
     */
    void reached(Step step, Object subject);
}
