package org.dmd.core.target.support;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.dmd.core.errno.DmException;
import org.dmd.core.target.Target;
import org.dmd.core.target.TargetContext;
import org.dmd.core.target.TargetFeature;
import org.dmd.core.target.TargetType;
import org.dmd.core.target.Version;

/**
 * A target type that is just its descriptor: name, version, feature flags and constructor, as a
 * kernel {@code struct target_type} is. Immutable.
 */
public final class BasicTargetType extends NamedType implements TargetType {

    private final Set<TargetFeature> features;
    private final TargetConstructor constructor;

    public BasicTargetType(String name, Version version, Set<TargetFeature> features, TargetConstructor constructor) {
        super(name, version);
        this.features = Set.copyOf(features);
        this.constructor = Objects.requireNonNull(constructor);
    }

    @Override
    public Set<TargetFeature> features() {
        return features;
    }

    @Override
    public Target construct(TargetContext context, List<String> args) throws DmException {
        return constructor.construct(context, args);
    }
}
