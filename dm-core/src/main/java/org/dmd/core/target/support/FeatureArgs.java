package org.dmd.core.target.support;

import java.util.Arrays;
import java.util.List;

/**
 * The optional feature arguments a table line ends with, {@code <#features> <feature>...}, as
 * targets print them back. Stateless.
 */
public final class FeatureArgs {

    /** One feature word and whether the target has it. */
    public record Feature(String word, boolean set) {
    }

    private FeatureArgs() {
    }

    /**
     * Appends {@code " <count> <feature>..."} for the features that are set, in the order given;
     * nothing when none is.
     */
    public static StringBuilder append(StringBuilder text, Feature... features) {
        List<String> set = Arrays.stream(features).filter(Feature::set).map(Feature::word).toList();
        if (!set.isEmpty()) {
            text.append(' ').append(set.size());
            set.forEach(word -> text.append(' ').append(word));
        }
        return text;
    }
}
