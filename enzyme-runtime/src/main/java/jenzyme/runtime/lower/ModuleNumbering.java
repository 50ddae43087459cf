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

    private final Map<String, List<T>> byModule = new HashMap<>();

    /** The id of {@code value} in {@code module}, assigned on first use; the same value keeps its id. */
    synchronized int idOf(String module, T value) {
        List<T> values = byModule.computeIfAbsent(module, m -> new ArrayList<>());
        int index = values.indexOf(value);
        if (index < 0) {
            values.add(value);
            index = values.size() - 1;
        }
        return index + 1;
    }

    /** The value compiled code of the module {@code symbol} belongs to recorded as {@code id}, if any. */
    synchronized Optional<T> lookup(String symbol, int id) {
        Matcher module = MODULE.matcher(symbol);
        List<T> values = byModule.get(module.find() ? module.group() : symbol);
        return values != null && id >= 1 && id <= values.size() ? Optional.of(values.get(id - 1)) : Optional.empty();
    }
}
