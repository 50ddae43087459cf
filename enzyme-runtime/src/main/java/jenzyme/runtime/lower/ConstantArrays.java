package jenzyme.runtime.lower;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;

/**
 * Which array parameters of each lowered method hold a constant array, from the entry's Const parameters through the
 * calls ({@link PassedArrays}), and the variables that then hold a constant array on one path and an active one on
 * another ({@link SharedArray}): Enzyme refuses those as "mixed activity" in its IR's words, after LLVM inlined the
 * callee and renamed its values, so the pipeline refuses them first, naming the variable, the method it is in as
 * written and its line.
 */
public final class ConstantArrays {

    /** A lowered method: its variables that may hold a parameter and another array, and what it passes on. */
    record Method(String symbol, MethodRef ref, List<String> parameterNames, List<SharedArray> shared,
                  List<PassedArrays.Call> calls) {

        Method {
            parameterNames = List.copyOf(parameterNames);
            shared = List.copyOf(shared);
            calls = List.copyOf(calls);
        }
    }

    /**
     * Where a parameter's constant array comes from: {@code entryParameter} the entry's Const parameter (null for a
     * static field), {@code words} how the refusal of a callee's variable says it (null in the entry itself).
     */
    record Origin(String entryParameter, String words) {}

    /** The entry first. */
    private final List<Method> methods;

    ConstantArrays(List<Method> methods) {
        this.methods = List.copyOf(methods);
    }

    static final ConstantArrays NONE = new ConstantArrays(List.of());

    /** The first variable holding a constant array and another one with {@code constant} Const in the entry. */
    public Optional<LoweringException> refusal(Set<String> constant) {
        Map<String, Map<String, Origin>> held = constantParameters(constant);
        for (Method method : methods) {
            Map<String, Origin> origins = held.getOrDefault(method.symbol(), Map.of());
            for (SharedArray shared : method.shared()) {
                Optional<LoweringException> refused = shared.refusal(method.ref(), origins);
                if (refused.isPresent()) {
                    return refused;
                }
            }
        }
        return Optional.empty();
    }

    /** Per method (symbol), its parameters that may hold a constant array: the entry's Const ones, then passed on. */
    private Map<String, Map<String, Origin>> constantParameters(Set<String> constant) {
        Map<String, Map<String, Origin>> held = new HashMap<>();
        if (methods.isEmpty()) {
            return held;
        }
        Map<String, Method> bySymbol = new HashMap<>();
        methods.forEach(m -> bySymbol.put(m.symbol(), m));
        Method entry = methods.getFirst();
        Map<String, Origin> own = new LinkedHashMap<>();
        constant.forEach(name -> own.put(name, new Origin(name, null)));
        held.put(entry.symbol(), own);
        ArrayDeque<Method> pending = new ArrayDeque<>(List.of(entry));
        while (!pending.isEmpty()) {
            Method caller = pending.poll();
            Map<String, Origin> callerHeld = held.getOrDefault(caller.symbol(), Map.of());
            for (PassedArrays.Call call : caller.calls()) {
                Method callee = bySymbol.get(call.callee());
                if (callee == null) {
                    continue;
                }
                Map<String, Origin> calleeHeld = held.computeIfAbsent(callee.symbol(), k -> new LinkedHashMap<>());
                int before = calleeHeld.size();
                call.parameters().forEach((index, parameters) -> parameters.stream()
                        .map(p -> callerHeld.get(caller.parameterNames().get(p))).filter(o -> o != null).findFirst()
                        .ifPresent(origin -> calleeHeld.putIfAbsent(callee.parameterNames().get(index),
                                passedOn(origin, entry))));
                call.constants().forEach((index, fields) -> calleeHeld.putIfAbsent(
                        callee.parameterNames().get(index), new Origin(null, Messages.CONSTANT_PASSED_FIELD.format(
                                fields.iterator().next()))));
                if (calleeHeld.size() > before) {
                    pending.add(callee);
                }
            }
        }
        return held;
    }

    private static Origin passedOn(Origin origin, Method entry) {
        return origin.words() != null ? origin : new Origin(origin.entryParameter(),
                Messages.CONSTANT_PASSED_PARAMETER.format(origin.entryParameter(), entry.ref().asWritten()));
    }
}
