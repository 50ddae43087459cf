package jenzyme.runtime.lower;

import java.lang.classfile.Attributes;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.reflect.AccessFlag;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import jenzyme.runtime.error.Messages;

/**
 * The methods of one module: declared on first reference (so recursion and mutual calls just work) and queued for
 * their bodies to be lowered. The entry is external; everything it reaches through {@code invokestatic} is internal.
 */
final class LoweredFunctions {

    private final IrModule module;
    private final ClassLibrary classes;
    private final Map<MethodRef, LoweredFunction> declared = new LinkedHashMap<>();
    private final ArrayDeque<LoweredFunction> pending = new ArrayDeque<>();
    /** Per library method lowered, the notebook method whose call of a library method led to it (see below). */
    private final Map<MethodRef, LibraryRefusals.Reached> reached = new java.util.HashMap<>();
    private LoweredFunction lowering;
    /** What the methods returning arrays hand their callers, as far as an earlier run of the lowering found. */
    private final ReturnedArrays returned;
    /** The methods lowered so far, the entry first, with their arrays ({@link ConstantArrays}). */
    private final List<ConstantArrays.Method> arrays = new ArrayList<>();

    LoweredFunctions(IrModule module, ClassLibrary classes) {
        this(module, classes, new ReturnedArrays());
    }

    LoweredFunctions(IrModule module, ClassLibrary classes, ReturnedArrays returned) {
        this.module = module;
        this.classes = classes;
        this.returned = returned;
    }

    ReturnedArrays returned() {
        return returned;
    }

    /** Which arrays of the module's methods may be constant, and where they go. */
    ConstantArrays constantArrays() {
        return new ConstantArrays(arrays);
    }

    /** {@code method} was lowered: its variables that may hold a parameter and another array, its calls' arrays. */
    void lowered(ConstantArrays.Method method) {
        arrays.add(method);
    }

    /** The method lowered as the function {@code symbol} (null for none of ours). */
    MethodRef methodOf(String symbol) {
        return declared.values().stream().filter(f -> f.symbol().equals(symbol)).map(LoweredFunction::ref)
                .findFirst().orElse(null);
    }

    /** The function for {@code ref}, declaring it (and queueing its body) on first use. */
    LoweredFunction require(MethodRef ref) {
        return require(ref, ref.descriptor());
    }

    /**
     * The copy of {@code ref} whose parameters have the types of {@code specialised}: the descriptor with lambda
     * shapes for the interfaces it takes ({@link LambdaValues#specialise}), else {@code ref}'s own.
     */
    LoweredFunction require(MethodRef ref, String specialised) {
        MethodRef key = new MethodRef(ref.owner(), ref.name(), specialised);
        LoweredFunction known = declared.get(key);
        if (known != null) {
            return known;
        }
        MethodModel model = classes.method(ref);
        checkCompilable(ref, model, classes);
        MethodSignature signature = MethodSignature.of(key, model, classes);
        String symbol = SymbolNames.of(key);
        boolean entry = declared.isEmpty();
        if (entry && signature.returnType() instanceof JavaType type && type.isMatrix()) {
            // Refused before its body is lowered: the entry's result goes into a one-dimensional result array.
            throw Unsupported.construct(Messages.RETURNING_ARRAY, type.javaName());
        }
        if (signature.kind() != MethodSignature.Kind.CONSTRUCTOR && signature.returnType() instanceof RecordShape
                returned && returned.isWritten()) {
            // Its block dies with the method that made it (WrittenObjects).
            throw Unsupported.construct(Messages.OBJECT_WRITTEN_RETURNED, ref.asWritten(), returned.javaName());
        }
        LLVMTypeRef type = module.functionType(signature, entry);
        LLVMValueRef function = module.addFunction(symbol, type, entry);
        // The status block is private to each call: nothing else can alias or keep it.
        module.addParameterAttribute(function, 0, "noalias");
        module.addParameterAttribute(function, 0, "nocapture");
        List<String> names = parameterNames(model, signature);
        nameParameters(function, signature, names, entry);
        LoweredFunction lowered = new LoweredFunction(ref, model, signature, new Callee(type, function), symbol, names,
                entry);
        declared.put(key, lowered);
        pending.add(lowered);
        LibraryRefusals.reach(lowering, lowered, reached);
        return lowered;
    }

    /** The next function to lower; the functions it requires are reached through it. */
    Optional<LoweredFunction> nextToLower() {
        lowering = pending.poll();
        return Optional.ofNullable(lowering);
    }

    /** How notebook code reached library method {@code ref}, if it is one it reached. */
    Optional<LibraryRefusals.Reached> reached(MethodRef ref) {
        return Optional.ofNullable(reached.get(ref));
    }

    List<String> loweredMethods() {
        // As written: a method lowered once per lambda it is passed is one method of the notebook.
        return declared.values().stream().map(f -> f.ref().toString()).distinct().toList();
    }

    static void checkCompilable(MethodRef ref, MethodModel model, ClassLibrary classes) {
        if (!model.flags().has(AccessFlag.STATIC) && !classes.isValueClass(ref.owner())) {
            throw Unsupported.construct(Messages.INSTANCE_METHOD, ref.asWritten());
        }
        if (model.flags().has(AccessFlag.NATIVE) || model.flags().has(AccessFlag.ABSTRACT)) {
            throw Unsupported.construct(Messages.METHOD_WITHOUT_BYTECODE, ref.asWritten());
        }
        if (model.flags().has(AccessFlag.SYNCHRONIZED)) {
            throw Unsupported.construct(Messages.SYNCHRONIZED_METHOD, ref.asWritten());
        }
    }

    /** From MethodParameters (javac -parameters), else the LocalVariableTable (javac -g), else arg0, arg1, ... */
    private static List<String> parameterNames(MethodModel model, MethodSignature signature) {
        int count = signature.parameters().size();
        if (signature.kind() == MethodSignature.Kind.INSTANCE) {
            count--; // this is no declared parameter
        }
        int declaredCount = count;
        Optional<List<String>> declaredNames = model.findAttribute(Attributes.methodParameters())
                .map(attribute -> attribute.parameters().stream()
                        .map(p -> p.name().map(n -> n.stringValue()).orElse(""))
                        .toList())
                .filter(names -> names.size() == declaredCount && names.stream().noneMatch(String::isEmpty));
        if (declaredNames.isPresent()) {
            List<String> names = new ArrayList<>(declaredNames.get());
            if (signature.kind() == MethodSignature.Kind.INSTANCE) {
                names.addFirst("this");
            }
            return names;
        }
        int[] slots = signature.parameterSlots();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < signature.parameters().size(); i++) {
            int slot = slots[i];
            names.add(model.code().flatMap(code -> CodePlan.localVariableName((CodeAttribute) code, slot))
                    .orElse("arg" + i));
        }
        return names;
    }

    private void nameParameters(LLVMValueRef function, MethodSignature signature, List<String> names,
                                boolean entry) {
        module.ir().setName(module.ir().param(function, 0), "status");
        int index = 1;
        for (int i = 0; i < names.size(); i++) {
            Shape shape = signature.parameters().get(i);
            List<String> leafNames = MethodSignature.leafNames(shape, names.get(i), entry);
            for (int leaf = 0; leaf < leafNames.size(); leaf++) {
                String name = leafNames.get(leaf);
                module.ir().setName(module.ir().param(function, index++), name);
                JavaType type = MethodSignature.leaves(shape, entry).get(leaf);
                if (type.isMatrix()) {
                    module.ir().setName(module.ir().param(function, index++), name + ".rowlens");
                }
                if (type.isArray()) {
                    module.ir().setName(module.ir().param(function, index++), name + ".len");
                }
            }
        }
        if (entry && signature.entryFillsResult()) {
            module.ir().setName(module.ir().param(function, index++), EntryPoint.RESULT_NAME);
            module.ir().setName(module.ir().param(function, index), EntryPoint.RESULT_NAME + ".len");
            index++;
        }
        for (StaticField field : module.statics().known()) {
            String name = "static." + field.javaName();
            module.ir().setName(module.ir().param(function, index++), name);
            if (field.type().isMatrix()) {
                module.ir().setName(module.ir().param(function, index++), name + ".rowlens");
            }
            if (field.type().isArray()) {
                module.ir().setName(module.ir().param(function, index++), name + ".len");
            }
        }
    }

}
