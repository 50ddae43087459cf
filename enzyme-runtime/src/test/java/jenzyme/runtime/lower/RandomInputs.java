package jenzyme.runtime.lower;

import java.lang.reflect.Array;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random arguments for differential tests, steered by parameter names (see the corpus's class comment):
 * mostly ordinary values, a steady share of edge values (NaN, ±0, ±infinity, subnormals, MIN/MAX, halfway cases).
 */
final class RandomInputs {

    private static final double[] DOUBLE_EDGES = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1, -1,
            0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 4503599627370497.0, 1e-310, Math.PI,
            9.223372036854776E18, -9.223372036854776E18, 2.147483647E9, -2.147483648E9, 2.1474836475E9, 1e16, 710, -745};
    private static final float[] FLOAT_EDGES = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 0.5f, -0.5f, 2.5f, -2.5f, 8388609f,
            0.49999997f, 2.14748365E9f, -2.14748365E9f, 9.223372E18f, 1e-40f};
    private static final int[] INT_EDGES = {0, 1, -1, 2, -2, Integer.MIN_VALUE, Integer.MAX_VALUE,
            Integer.MIN_VALUE + 1, Integer.MAX_VALUE - 1, 31, 32, 33, 63, 64, 65, -31, -32, 999, 1000, -999, 555, 7, 100};
    private static final long[] LONG_EDGES = {0L, 1L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1,
            Integer.MIN_VALUE, Integer.MAX_VALUE, 1L << 53, (1L << 53) + 1, 63, 64, -64};

    private final Random random;

    RandomInputs(long seed) {
        this.random = new Random(seed);
    }

    Object[] argumentsFor(Parameter[] parameters) {
        Object[] args = new Object[parameters.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = valueFor(parameters[i].getType(), parameters[i].getName());
        }
        return args;
    }

    /**
     * Every combination of edge values for methods whose parameters are all scalars, when there are at most
     * {@code limit} combinations (else none): the cases random sampling rarely hits together, such as
     * {@code MIN_VALUE / -1} or {@code min(-0.0, 0.0)}.
     */
    static List<Object[]> edgeCombinations(Parameter[] parameters, int limit) {
        List<List<Object>> choices = new ArrayList<>();
        long count = 1;
        for (Parameter parameter : parameters) {
            List<Object> edges = edgesFor(parameter.getType(), parameter.getName());
            if (edges.isEmpty()) {
                return List.of();
            }
            choices.add(edges);
            count *= edges.size();
        }
        if (count > limit) {
            return List.of();
        }
        List<Object[]> combinations = new ArrayList<>();
        combinations.add(new Object[0]);
        for (List<Object> edges : choices) {
            List<Object[]> extended = new ArrayList<>();
            for (Object[] prefix : combinations) {
                for (Object edge : edges) {
                    Object[] next = java.util.Arrays.copyOf(prefix, prefix.length + 1);
                    next[prefix.length] = edge;
                    extended.add(next);
                }
            }
            combinations = extended;
        }
        return combinations;
    }

    private static List<Object> edgesFor(Class<?> type, String name) {
        List<Object> edges = new ArrayList<>();
        if (type == double.class) {
            for (double d : DOUBLE_EDGES) edges.add(d);
        } else if (type == float.class) {
            for (float f : FLOAT_EDGES) edges.add(f);
        } else if (type == long.class) {
            for (long l : LONG_EDGES) edges.add(l);
        } else if (type == boolean.class) {
            edges.add(false);
            edges.add(true);
        } else if (type == int.class) {
            int[] values = switch (name.charAt(0)) {
                case 'n' -> new int[] {0, 1, 2, 7, 40};
                case 'i', 'j', 'k' -> new int[] {-3, -1, 0, 1, 5, 30};
                case 'd' -> new int[] {0, 1, 2, 9, 15};
                default -> INT_EDGES;
            };
            for (int i : values) edges.add(i);
        }
        return edges;
    }

    private Object valueFor(Class<?> type, String name) {
        if (type == double.class) return nextDouble();
        if (type == float.class) return nextFloat();
        if (type == int.class) return nextInt(name);
        if (type == long.class) return nextLong();
        if (type == boolean.class) return random.nextBoolean();
        if (type.isArray()) return nextArray(type.getComponentType());
        throw new IllegalArgumentException("no generator for " + type);
    }

    private double nextDouble() {
        double p = random.nextDouble();
        if (p < 0.2) return DOUBLE_EDGES[random.nextInt(DOUBLE_EDGES.length)];
        if (p < 0.3) return Math.rint(random.nextDouble() * 40 - 20) / 2; // halves: rounding ties
        if (p < 0.8) return random.nextDouble() * 20 - 10;
        double magnitude = Math.pow(10, random.nextDouble() * 620 - 320);
        return random.nextBoolean() ? magnitude : -magnitude;
    }

    private float nextFloat() {
        double p = random.nextDouble();
        if (p < 0.2) return FLOAT_EDGES[random.nextInt(FLOAT_EDGES.length)];
        if (p < 0.3) return (float) Math.rint(random.nextDouble() * 40 - 20) / 2;
        if (p < 0.8) return (float) (random.nextDouble() * 20 - 10);
        float magnitude = (float) Math.pow(10, random.nextDouble() * 80 - 42);
        return random.nextBoolean() ? magnitude : -magnitude;
    }

    private int nextInt(String name) {
        return switch (name.charAt(0)) {
            case 'n' -> random.nextInt(41);
            case 'i', 'j', 'k' -> random.nextInt(34) - 3;
            case 'd' -> random.nextInt(16);
            default -> {
                double p = random.nextDouble();
                if (p < 0.2) yield INT_EDGES[random.nextInt(INT_EDGES.length)];
                if (p < 0.6) yield random.nextInt(201) - 100;
                yield random.nextInt();
            }
        };
    }

    private long nextLong() {
        double p = random.nextDouble();
        if (p < 0.2) return LONG_EDGES[random.nextInt(LONG_EDGES.length)];
        if (p < 0.6) return random.nextInt(2001) - 1000;
        return random.nextLong();
    }

    private Object nextArray(Class<?> component) {
        int length = random.nextInt(10) == 0 ? 0 : random.nextInt(12);
        Object array = Array.newInstance(component, length);
        for (int i = 0; i < length; i++) {
            Object element;
            if (component == double.class) {
                element = random.nextInt(5) == 0 ? nextDouble() : random.nextDouble() * 20 - 10;
            } else if (component == float.class) {
                element = random.nextInt(5) == 0 ? nextFloat() : (float) (random.nextDouble() * 20 - 10);
            } else if (component == int.class) {
                element = nextInt("x");
            } else {
                element = nextLong();
            }
            Array.set(array, i, element);
        }
        return array;
    }
}
