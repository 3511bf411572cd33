package org.dmd.core.testing;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kotlin.Unit;
import kotlin.jvm.functions.Function1;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;
import org.jetbrains.lincheck.datastructures.Operation;

/**
 * A hand-written Lincheck scenario, for the race windows random generation rarely reaches: an
 * initial part, threads run in parallel, and a post part, each a list of operations of the test
 * class named by method name. Pass it to {@code options.addCustomScenario(...)}.
 *
 * <pre>{@code
 * LincheckScenario.of(MinorTableLincheckTest.class)
 *         .thread(op("putCreator", 0))
 *         .thread(op("get", 0), op("put", 0))
 *         .post(op("release", 0))
 *         .build()
 * }</pre>
 */
public final class LincheckScenario {

    /** One call of an {@link Operation} method. */
    public record Op(String method, List<Object> args) {
    }

    private final Class<?> test;
    private final List<Op> initial = new ArrayList<>();
    private final List<List<Op>> threads = new ArrayList<>();
    private final List<Op> post = new ArrayList<>();

    private LincheckScenario(Class<?> test) {
        this.test = test;
    }

    public static LincheckScenario of(Class<?> test) {
        return new LincheckScenario(test);
    }

    public static Op op(String method, Object... args) {
        return new Op(method, Arrays.asList(args));
    }

    public LincheckScenario initial(Op... ops) {
        initial.addAll(List.of(ops));
        return this;
    }

    public LincheckScenario thread(Op... ops) {
        threads.add(List.of(ops));
        return this;
    }

    public LincheckScenario post(Op... ops) {
        post.addAll(List.of(ops));
        return this;
    }

    public Function1<DSLScenarioBuilder, Unit> build() {
        return builder -> {
            builder.initial(part -> fill(part, initial));
            builder.parallel(parallel -> {
                threads.forEach(ops -> parallel.thread(part -> fill(part, ops)));
                return Unit.INSTANCE;
            });
            builder.post(part -> fill(part, post));
            return Unit.INSTANCE;
        };
    }

    private Unit fill(DSLThreadScenario part, List<Op> ops) {
        for (Op op : ops) {
            part.add(new Actor(method(op.method()), op.args()));
        }
        return Unit.INSTANCE;
    }

    private Method method(String name) {
        List<Method> found = Arrays.stream(test.getMethods())
                .filter(m -> m.getName().equals(name) && m.isAnnotationPresent(Operation.class)).toList();
        if (found.size() != 1) {
            throw new IllegalArgumentException(test.getSimpleName() + " has " + found.size() + " operations named " + name);
        }
        return found.get(0);
    }
}
