package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values compiled code names by a small {@code int} in its status block (failure sites, thrown exceptions), numbered
 * from 1 per module — the entry's symbol — in the order its lowerings meet them, and found again from any symbol of
 * the module (the entry, or the worker's wrappers named after it).
 *
 * <p>Per module, not per process: the ids are constants in the module, and Enzyme's choices follow the module's
 * bytes. With process-wide ids, Rosenbrock's gradient lowered from a notebook cell (sites 2, 3, 4) came out of the
 * worker 692 lines long and from the bench's class file (sites 8, 9, 10) 610, and a notebook's code depended on
 * which cells it had compiled before.
 */
final class ModuleNumbering<T> {

    private static final Pattern MODULE = Pattern.compile("^jz_[A-Za-z0-9]+_[0-9a-f]{16}");

    private final Map<String, Numbered<T>> byModule = new HashMap<>();

    /**
     * One module's values in id order, and their ids by value: asked at every failure path the lowering emits (each
     * array access, each call), a search of the list was 6% of the early lowerings of a 30-line method.
     */
    private record Numbered<T>(List<T> values, Map<T, Integer> ids) {}

    /** The id of {@code value} in {@code module}, assigned on first use; the same value keeps its id. */
    synchronized int idOf(String module, T value) {
        Numbered<T> numbered = byModule.computeIfAbsent(module,
                m -> new Numbered<>(new ArrayList<>(), new HashMap<>()));
        return numbered.ids().computeIfAbsent(value, added -> {
            numbered.values().add(added);
            return numbered.values().size();
        });
    }

    /** The value compiled code of the module {@code symbol} belongs to recorded as {@code id}, if any. */
    synchronized Optional<T> lookup(String symbol, int id) {
        Matcher module = MODULE.matcher(symbol);
        Numbered<T> numbered = byModule.get(module.find() ? module.group() : symbol);
        return numbered != null && id >= 1 && id <= numbered.values().size()
                ? Optional.of(numbered.values().get(id - 1)) : Optional.empty();
    }
}
