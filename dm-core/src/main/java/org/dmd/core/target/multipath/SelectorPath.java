package org.dmd.core.target.multipath;

import java.util.List;
import org.dmd.core.target.PathSelector;

/** A selector's record of one path at rest: fixed table and status words. Immutable. */
record SelectorPath(List<String> tableWords, List<String> statusWords) implements PathSelector.Path {

    SelectorPath {
        tableWords = List.copyOf(tableWords);
        statusWords = List.copyOf(statusWords);
    }
}
