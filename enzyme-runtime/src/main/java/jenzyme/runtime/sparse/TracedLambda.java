package jenzyme.runtime.sparse;

import java.lang.constant.MethodTypeDesc;
import jenzyme.runtime.lower.ClassBytesSource;
import jenzyme.runtime.lower.EntryLambda;
import jenzyme.runtime.lower.MethodRef;

/**
 * A lambda argument on the {@link DependencyTracer}'s machine: calling its interface method runs the static method
 * it calls ({@link EntryLambda}'s target, found the way the compiler finds it) with what it captured first. Only
 * captured doubles and floats are taken: they may change between calls like any Const double, so the pattern is
 * the same for every lambda of the site, and a call matches it by the lambda's class alone ({@link
 * SparsityPattern.Key}). A lambda capturing an integer or an array, or calling an instance method, is not traced.
 *
 * @param samName   the interface method's name
 * @param captured  one varying double or float per captured value, in the lambda class's field order
 */
record TracedLambda(String samName, MethodRef impl, TracedValue[] captured) {

    static TracedLambda of(Object lambda, ClassBytesSource classes) throws DependencyTracer.Untraceable {
        EntryLambda entry;
        try {
            entry = EntryLambda.of(0, "", lambda, classes);
        } catch (RuntimeException refused) { // the compiler refuses it too: the Jacobian's call reports why
            throw new DependencyTracer.Untraceable("a lambda the compiler refuses");
        }
        if (!entry.target().implStatic()) {
            throw new DependencyTracer.Untraceable("a lambda calling an instance method");
        }
        TracedValue[] captured = new TracedValue[entry.captures().size()];
        for (int c = 0; c < captured.length; c++) {
            Class<?> type = entry.captures().get(c).getType();
            if (type != double.class && type != float.class) {
                throw new DependencyTracer.Untraceable("a lambda capturing a " + type.getName());
            }
            captured[c] = TracedValue.varying(type == double.class ? TracedValue.Kind.DOUBLE
                    : TracedValue.Kind.FLOAT, TracedValue.NONE);
        }
        return new TracedLambda(entry.target().samName(), entry.target().impl(), captured);
    }

    /**
     * The method a call of {@code name} with {@code type} on this lambda runs, when it takes exactly the captured
     * values and then the call's arguments (no boxing or widening in between); else not traceable.
     */
    MethodTypeDesc target(String name, MethodTypeDesc type) throws DependencyTracer.Untraceable {
        MethodTypeDesc impl = MethodTypeDesc.ofDescriptor(this.impl.descriptor());
        boolean same = name.equals(samName) && impl.parameterCount() == captured.length + type.parameterCount()
                && impl.returnType().equals(type.returnType())
                && impl.parameterList().subList(captured.length, impl.parameterCount()).equals(type.parameterList());
        if (!same) {
            throw new DependencyTracer.Untraceable("a lambda called through an adapted type");
        }
        return impl;
    }
}
