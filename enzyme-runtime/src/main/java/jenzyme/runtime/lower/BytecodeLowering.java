package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import jenzyme.runtime.error.LoweringException;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.lower.ClassBytesSource;

/**
 * Pipeline stage 1: JVM bytecode → LLVM IR. Reads class files from a {@link ClassBytesSource} (the kernel's snippet
 * classes, or a test's), lowers the requested static method and, transitively, every method it reaches through
 * {@code invokestatic} into one verified module, and hands a {@link LoweredModule} to the next stage: the Enzyme
 * worker client, or {@code jenzyme.runtime.jit.OrcJit} directly for {@code %jit}.
 *
 * <p>Calling convention of every lowered function: {@code ret @sym(ptr %status, params...)}, arrays as
 * (data pointer, i32 length), booleans as i8; see {@link EntryPoint} and {@link StatusCode}.
 */
public final class BytecodeLowering {

    private final ClassBytesSource source;
    private final DerivativeRules rules;
    private final java.util.Set<Integer> constantLoopArrays;

    public BytecodeLowering(ClassBytesSource source) {
        this(source, DerivativeRules.NONE);
    }

    /** @param rules the derivative rules calls go through, for the sweep the module is lowered for */
    public BytecodeLowering(ClassBytesSource source, DerivativeRules rules) {
        this(source, rules, java.util.Set.of());
    }

    private BytecodeLowering(ClassBytesSource source, DerivativeRules rules, java.util.Set<Integer> constantLoopArrays) {
        this.source = Objects.requireNonNull(source, "source");
        this.rules = Objects.requireNonNull(rules, "rules");
        this.constantLoopArrays = java.util.Set.copyOf(constantLoopArrays);
    }

    /**
     * This lowering with the loop allocation sites {@code sites} ({@link ConstantLoopArrays}: those Enzyme found to
     * hold no derivative) allocated inactive and freed out of Enzyme's sight, in a module lowered for forward mode.
     */
    public BytecodeLowering withConstantLoopArrays(java.util.Set<Integer> sites) {
        return new BytecodeLowering(source, rules, sites);
    }

    /**
     * @param ownerInternalName e.g. {@code "REPL/$JShell$12"} or {@code "demo/Functions"}
     * @param methodName the static method to lower
     * @param descriptor its descriptor, e.g. {@code "(D[DI)D"}
     * @throws LoweringException naming the construct and source line when something is outside the subset
     */
    public LoweredModule lower(String ownerInternalName, String methodName, String descriptor) {
        return lower(ownerInternalName, methodName, descriptor, List.of());
    }

    /**
     * {@link #lower(String, String, String)} specialised on the lambdas a call passes to the method's
     * functional-interface parameters: each becomes a value of its captured values (Const native parameters
     * {@code f.captured0}, ...), with its target's code compiled in.
     */
    public LoweredModule lower(String ownerInternalName, String methodName, String descriptor,
                               List<EntryLambda> lambdas) {
        return lower(ownerInternalName, methodName, descriptor, lambdas, LoopPolling.EVERY_ITERATION);
    }

    /** {@link #lower(String, String, String, List)} with loops polling as {@code polling} says. */
    public LoweredModule lower(String ownerInternalName, String methodName, String descriptor,
                               List<EntryLambda> lambdas, LoopPolling polling) {
        Objects.requireNonNull(ownerInternalName, "ownerInternalName");
        Objects.requireNonNull(methodName, "methodName");
        Objects.requireNonNull(descriptor, "descriptor");
        JvmNames.checkMethod(ownerInternalName, descriptor, LoweringException::new);
        MethodRef entryRef = new MethodRef(ownerInternalName, methodName, descriptor);
        List<StaticField> fields = List.of();
        ReturnedArrays returned = new ReturnedArrays();
        // The first write found to each class whose objects compiled code writes (lowered again: WrittenObjects).
        java.util.Map<String, WrittenObjects.Discovered> written = new java.util.LinkedHashMap<>();
        while (true) {
            StaticFields statics = new StaticFields(fields);
            LoweredModule lowered;
            try {
                lowered = lowerOnce(entryRef, statics, returned, lambdas, polling, written);
            } catch (WrittenObjects.Discovered found) {
                if (written.putIfAbsent(found.owner(), found) != null) {
                    throw new IllegalStateException(Messages.MALFORMED_BYTECODE.format("a written " + found.owner()));
                }
                continue;
            }
            if (lowered != null) {
                return lowered;
            }
            fields = statics.discovered().isEmpty() ? fields : statics.next();
            returned = returned.next();
        }
    }

    /**
     * One run with the static fields {@code statics} knows and what {@code returned} knows of the methods returning
     * arrays; incomplete if it discovers more of either (then null). Each run learns at least one method more, as
     * callers are lowered before their callees.
     */
    private LoweredModule lowerOnce(MethodRef entryRef, StaticFields statics, ReturnedArrays returned,
                                    List<EntryLambda> lambdas, LoopPolling polling,
                                    java.util.Map<String, WrittenObjects.Discovered> written) {
        String ownerInternalName = entryRef.owner();
        String methodName = entryRef.name();
        String descriptor = entryRef.descriptor();
        ClassLibrary classes = new ClassLibrary(source, written.keySet());
        String specialised = EntryLambda.specialise(descriptor, lambdas, classes);
        String moduleName = SymbolNames.of(new MethodRef(ownerInternalName, methodName, specialised));
        // Reverse mode (and hvp's, whose forward sweep over the gradient crashed on such a path once runtime activity
        // was on): failures unwind, so Enzyme's backward sweep has no path from a failure to reverse; not when
        // the entry takes an object from the JVM it copies back: an unwinding failure (in a loop, in a callee) would
        // skip the entry's copy-out, leaving the object as before the call instead of as the JVM leaves it at the throw.
        // Returning through every caller costs such a method's loops a second exit (what unwinding was for).
        boolean unwinds = (rules.sweep() == DerivativeRules.Sweep.REVERSE
                || rules.sweep() == DerivativeRules.Sweep.SECOND_ORDER) && !copiesBack(entryRef, written.keySet());
        try (IrModule module = new IrModule(moduleName, statics, unwinds,
                rules.sweep() == DerivativeRules.Sweep.FORWARD, constantLoopArrays)) {
            LoweredFunctions functions = new LoweredFunctions(module, classes, returned);
            RuleCalls ruleCalls = new RuleCalls(module, functions, classes, rules);
            LoweredFunction entry;
            try {
                entry = functions.require(entryRef, specialised);
            } catch (Unsupported unsupported) {
                throw new LoweringException(unsupported.problem(), ownerInternalName, methodName, descriptor, -1, -1, null);
            }
            refuseWrittenParameters(entry, written);
            entry.signature().parameters().stream().filter(ObjectLayout::isCopied)
                    .forEach(shape -> classes.copiedFromJvm(((RecordShape) shape).internalName()));
            for (var next = functions.nextToLower(); next.isPresent(); next = functions.nextToLower()) {
                try {
                    MethodLowering.lower(module, classes, functions, ruleCalls, next.get(), polling);
                } catch (LoweringException refused) {
                    throw LibraryRefusals.explained(refused, next.get(), functions);
                }
            }
            if (!statics.discovered().isEmpty() || !returned.settled()) {
                return null;
            }
            module.verify().ifPresent(problem -> {
                throw new LoweringException(Messages.IR_DOES_NOT_VERIFY.format(problem),
                        ownerInternalName, methodName, descriptor, -1, -1, module.irText());
            });
            return new LoweredModule(moduleName, module.bitcode(), module.defines(RuntimeSymbols.RULE_FAILED),
                    module.defines(RuntimeSymbols.FREE_INACTIVE), entryPoint(entry, statics.known(), classes,
                    functions::methodOf),
                    functions.loweredMethods(), ruleCalls.jvmCalls(), functions.constantArrays());
        }
    }

    /**
     * Whether the entry may take an object of a class compiled code writes ({@code written}): a parameter of such a
     * class, or a method of one (its receiver; a static method of it is counted too, which costs only unwinding).
     */
    private static boolean copiesBack(MethodRef entry, java.util.Set<String> written) {
        return written.contains(entry.owner()) || java.lang.constant.MethodTypeDesc.ofDescriptor(entry.descriptor())
                .parameterList().stream().map(java.lang.constant.ClassDesc::descriptorString)
                .anyMatch(d -> d.startsWith("L") && written.contains(d.substring(1, d.length() - 1)));
    }

    /**
     * Refuses a parameter of the method you compile (its receiver included) whose class compiled code writes and whose
     * fields cannot all be copied back ({@link ObjectLayout#problem}). Reported at the first write found.
     */
    private static void refuseWrittenParameters(LoweredFunction entry,
                                                java.util.Map<String, WrittenObjects.Discovered> written) {
        List<Shape> shapes = entry.signature().parameters();
        for (int i = 0; i < shapes.size(); i++) {
            if (shapes.get(i) instanceof RecordShape shape && shape.isWritten()
                    && ObjectLayout.problem(shape).isPresent()) {
                WrittenObjects.Discovered at = written.get(shape.internalName());
                throw new LoweringException(Messages.UNSUPPORTED.format(Messages.OBJECT_PARAMETER_WRITTEN.format(
                        at.field(), shape.javaName(), entry.parameterNames().get(i),
                        ObjectLayout.problem(shape).get())), at.method().owner(),
                        at.method().name(), at.method().descriptor(), at.bci(), at.line(), null);
            }
        }
    }

    /**
     * The descriptor of the only static method named {@code methodName} in the class, so that {@code %jit f} needs
     * no signature.
     *
     * @throws LoweringException if the class is unknown, or there is no such method or more than one
     */
    public String uniqueDescriptor(String ownerInternalName, String methodName) {
        List<String> descriptors = new ClassLibrary(source).staticMethodDescriptors(ownerInternalName, methodName);
        if (descriptors.size() != 1) {
            throw new LoweringException(descriptors.isEmpty() ? Messages.NO_STATIC_METHOD.format(methodName)
                    : Messages.SEVERAL_STATIC_METHODS.format(methodName, descriptors),
                    ownerInternalName, methodName, null, -1, -1, null);
        }
        return descriptors.getFirst();
    }

    /**
     * The entry point of the method before a call names the lambdas of its functional-interface parameters: those
     * take no native parameter ({@link RecordShape#functional}); lowering nothing but the signature. A binding
     * takes its stubs from this one and specialises at each call ({@link #lower(String, String, String, List)}).
     */
    public EntryPoint unspecialisedEntry(String ownerInternalName, String methodName, String descriptor) {
        JvmNames.checkMethod(ownerInternalName, descriptor, LoweringException::new);
        MethodRef entryRef = new MethodRef(ownerInternalName, methodName, descriptor);
        try (IrModule module = new IrModule(SymbolNames.of(entryRef), new StaticFields(List.of()))) {
            try {
                ClassLibrary classes = new ClassLibrary(source);
                LoweredFunctions functions = new LoweredFunctions(module, classes);
                return entryPoint(functions.require(entryRef), List.of(), classes, functions::methodOf);
            } catch (Unsupported unsupported) {
                throw new LoweringException(unsupported.problem(), ownerInternalName, methodName, descriptor, -1, -1,
                        null);
            }
        }
    }

    /**
     * The module of a method taking lambdas before a call names them: no code (each lambda site's is compiled at
     * its first call), the unspecialised entry and the methods it reaches (what a binding's staleness watches).
     */
    public static LoweredModule placeholder(EntryPoint unspecialised, List<String> reached) {
        return new LoweredModule(unspecialised.symbol() + ".lambdas", emptyModule(unspecialised.symbol()), false,
                unspecialised, reached, List.of());
    }

    /** An LLVM module without functions: what holds a binding's place until a call names its lambdas. */
    public static byte[] emptyModule(String name) {
        try (IrModule module = new IrModule(name, new StaticFields(List.of()))) {
            return module.bitcode();
        }
    }

    /** The entry's native parameters, a record parameter flattened into its components (see {@link EntryPoint}). */
    private static EntryPoint entryPoint(LoweredFunction entry, List<StaticField> statics, ClassLibrary classes,
                                         java.util.function.Function<String, MethodRef> methods) {
        MethodRef ref = entry.ref();
        // a record of doubles comes back as the array of its leaves (a vector function); other records have no place
        if (!(entry.signature().returnType() instanceof JavaType) && !entry.signature().returnsDoubles()) {
            throw new LoweringException(Messages.UNSUPPORTED.format(Messages.RECORD_RETURNED_BY_ENTRY.format(
                    entry.signature().returnType().javaName())), ref.owner(), ref.name(), ref.descriptor(), -1, -1, null);
        }
        JavaType returnType = entry.signature().returnsDoubles() ? JavaType.DOUBLE_ARRAY
                : (JavaType) entry.signature().returnType();
        if (returnType.isArray() && returnType != JavaType.DOUBLE_ARRAY) {
            throw new LoweringException(Messages.UNSUPPORTED.format(Messages.RETURNING_ARRAY.format(
                    returnType.javaName())), ref.owner(), ref.name(), ref.descriptor(), -1, -1, null);
        }
        List<NativeParameter> parameters = new ArrayList<>();
        List<EntryPoint.JavaParameter> javaParameters = new ArrayList<>();
        int llvmIndex = 1;
        List<Shape> shapes = entry.signature().parameters();
        for (int i = 0; i < shapes.size(); i++) {
            Shape shape = shapes.get(i);
            if (shape instanceof RecordShape value) {
                int parameter = i;
                classes.parameterProblem(value).ifPresent(problem -> {
                    throw new LoweringException(Messages.UNSUPPORTED.format(Messages.OBJECT_PARAMETER.format(
                            entry.parameterNames().get(parameter), value.javaName(), problem)), ref.owner(), ref.name(),
                            ref.descriptor(), -1, -1, null);
                });
            }
            String name = entry.parameterNames().get(i);
            javaParameters.add(new EntryPoint.JavaParameter(name, shape, parameters.size()));
            List<String> names = MethodSignature.leafNames(shape, name, true);
            for (int leaf = 0; leaf < names.size(); leaf++) {
                JavaType type = MethodSignature.leaves(shape, true).get(leaf);
                parameters.add(new NativeParameter(names.get(leaf), type, llvmIndex));
                llvmIndex += type.llvmTypes().size();
            }
        }
        if (entry.signature().entryFillsResult()) {
            parameters.add(new NativeParameter(EntryPoint.RESULT_NAME, returnType, llvmIndex));
            llvmIndex += returnType.llvmTypes().size();
        }
        List<FieldParameter> fields = new ArrayList<>();
        for (StaticField field : statics) {
            fields.add(new FieldParameter(field, llvmIndex));
            llvmIndex += field.type().llvmTypes().size();
        }
        java.util.Set<Integer> arrays = new java.util.HashSet<>();
        java.util.Set<Integer> floatingArrays = new java.util.HashSet<>();
        parameters.stream().filter(p -> p.type().isArray()).forEach(p -> arrays.add(p.llvmIndex()));
        fields.stream().filter(f -> f.field().type().isArray()).forEach(f -> arrays.add(f.llvmIndex()));
        parameters.stream().filter(p -> isFloatingArray(p.type())).forEach(p -> floatingArrays.add(p.llvmIndex()));
        fields.stream().filter(f -> isFloatingArray(f.field().type())).forEach(f -> floatingArrays.add(f.llvmIndex()));
        ScratchArrays.Found found = ScratchArrays.of(entry.callee().function(), arrays, floatingArrays, methods);
        return new EntryPoint(entry.symbol(), ref.owner(), ref.name(), ref.descriptor(), parameters, returnType,
                javaParameters, fields, entry.signature().returnType(), found.written(), found.stateful());
    }

    private static boolean isFloatingArray(JavaType type) {
        return type == JavaType.DOUBLE_ARRAY || type == JavaType.FLOAT_ARRAY || type == JavaType.DOUBLE_MATRIX
                || type == JavaType.FLOAT_MATRIX;
    }
}
