package org.dmd.core.target;

import java.util.List;
import org.dmd.core.errno.DmException;

/**
 * One path-selector instance inside a multipath priority group. Its text is returned as words;
 * the multipath target lays them out the kernel's way (each word followed by a space).
 *
 * <p>Paths are added only while the owning target is constructed; afterwards a selector and its
 * paths are only read and must be safe to read from any thread.
 */
public interface PathSelector {

    /**
     * Adds a path with its per-path arguments ({@code ->add_path}) and returns the selector's
     * record of it. Bad arguments fail with EINVAL and the selector's own error text.
     */
    Path addPath(TableDevice device, List<String> args) throws DmException;

    /**
     * The selector's own words, printed before a group's paths in both table and status
     * ({@code ->status} with no path): a count then that many arguments, e.g. {@code [0]} or
     * {@code [2, 972, 0]}.
     */
    List<String> arguments();

    /** A path as one selector instance knows it. */
    interface Path {

        /** Per-path table words ({@code tableArgs()} of them), e.g. the repeat count {@code [1]}. */
        List<String> tableWords();

        /** Per-path status words ({@code infoArgs()} of them), e.g. the in-flight count {@code [0]}. */
        List<String> statusWords();
    }
}
