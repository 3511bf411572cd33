package org.dmd.client.bench;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.dmd.core.errno.DmException;
import org.dmd.core.errno.Errno;

/**
 * A weighted choice of operations, written {@code info=9,create-remove=1} (a missing weight is 1).
 * Immutable.
 */
public final class Mix {

    private final Map<Operation, Integer> weights;
    private final Operation[] operations;
    private final int[] cumulative;

    private Mix(Map<Operation, Integer> weights) {
        this.weights = weights;
        this.operations = weights.keySet().toArray(Operation[]::new);
        this.cumulative = new int[operations.length];
        int sum = 0;
        for (int i = 0; i < operations.length; i++) {
            sum += weights.get(operations[i]);
            cumulative[i] = sum;
        }
    }

    /** Parses {@code OP[=WEIGHT],...}; EINVAL naming what is wrong. */
    public static Mix parse(String text) throws DmException {
        Map<Operation, Integer> weights = new EnumMap<>(Operation.class);
        for (String entry : text.split(",", -1)) {
            String[] parts = entry.trim().split("=", 2);
            Operation operation = Operation.labelled(parts[0]);
            if (operation == null) {
                throw new DmException(Errno.EINVAL, "unknown operation '%s' (operations: %s)", parts[0], labels());
            }
            int weight = 1;
            if (parts.length == 2) {
                if (!parts[1].matches("[0-9]{1,6}") || Integer.parseInt(parts[1]) == 0) {
                    throw new DmException(Errno.EINVAL, "the weight of %s must be a whole number from 1 to 999999, "
                            + "not '%s'", parts[0], parts[1]);
                }
                weight = Integer.parseInt(parts[1]);
            }
            if (weights.put(operation, weight) != null) {
                throw new DmException(Errno.EINVAL, "operation %s is named twice", parts[0]);
            }
        }
        return new Mix(weights);
    }

    private static String labels() {
        List<String> labels = new ArrayList<>();
        for (Operation operation : Operation.values()) {
            labels.add(operation.label());
        }
        return String.join(", ", labels);
    }

    /** The operations of the mix, in declaration order. */
    public List<Operation> operations() {
        return List.of(operations);
    }

    public boolean contains(Operation operation) {
        return weights.containsKey(operation);
    }

    /** One operation, drawn with the mix's weights. */
    Operation next(SplittableRandom random) {
        if (operations.length == 1) {
            return operations[0];
        }
        int draw = random.nextInt(cumulative[cumulative.length - 1]);
        int i = 0;
        while (cumulative[i] <= draw) {
            i++;
        }
        return operations[i];
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        weights.forEach((operation, weight) -> parts.add(operations.length == 1 ? operation.label()
                : operation.label() + "=" + weight));
        return String.join(",", parts);
    }
}
