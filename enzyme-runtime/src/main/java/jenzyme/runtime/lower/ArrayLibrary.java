package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The array library scientific code calls: {@code System.arraycopy}, {@code Arrays.fill}, {@code Arrays.copyOf},
 * {@code Arrays.copyOfRange} and {@code clone()} of primitive arrays, lowered as typed element loops (never a
 * byte-wise memcpy: Enzyme must see doubles moving to carry their derivatives), with the JDK's checks and messages in
 * the JDK's order. Copies within one array run backwards when the ranges overlap that way, as arraycopy specifies.
 * New arrays are allocated like {@code new double[n]} (freed when the call returns).
 */
public final class ArrayLibrary {

    /** {@link StatusCode#ARRAYCOPY} kinds (status word 1, the element type's ordinal in bits 4 and up). */
    public static final int SOURCE_INDEX = 1, DESTINATION_INDEX = 2, NEGATIVE_LENGTH = 3, LAST_SOURCE = 4,
            LAST_DESTINATION = 5;
    /** {@link StatusCode#RANGE} kinds: Arrays.rangeCheck's IllegalArgumentException and its index exception. */
    public static final int FROM_AFTER_TO = 1, INDEX_OUT_OF_RANGE = 2, COPY_RANGE = 3;

    private static final Set<String> ARRAYS_METHODS = Set.of("fill", "copyOf", "copyOfRange");
    /** Compiled once: every call the lowering meets asks {@link #handles} (String.matches compiled them per call). */
    private static final Pattern PRIMITIVE_ARRAY_FIRST = Pattern.compile("\\(\\[[DFIJ].*");
    private static final Pattern PRIMITIVE_ARRAY = Pattern.compile("\\[[DFIJ]");

    private final IrModule module;
    private final IrBuilder ir;
    private final LLVMValueRef function;
    private final ExitPaths exits;
    private final ArrayOps arrays;
    private final FrameSlots slots;

    ArrayLibrary(IrModule module, LLVMValueRef function, ExitPaths exits, ArrayOps arrays, FrameSlots slots) {
        this.module = module;
        this.ir = module.ir();
        this.function = function;
        this.exits = exits;
        this.arrays = arrays;
        this.slots = slots;
    }

    /** Whether the call is one of the library methods lowered here (primitive-array overloads only). */
    static boolean handles(String owner, String name, String descriptor) {
        return owner.equals("java/lang/System") && name.equals("arraycopy")
                || owner.equals("java/util/Arrays") && ARRAYS_METHODS.contains(name)
                        && PRIMITIVE_ARRAY_FIRST.matcher(descriptor).matches()
                || name.equals("clone") && PRIMITIVE_ARRAY.matcher(owner).matches()
                        && descriptor.equals("()Ljava/lang/Object;");
    }

    /** The call's result (null for void methods). */
    JValue call(String owner, String name, String descriptor, List<JValue> args, boolean insideLoop) {
        return switch (name) {
            case "arraycopy" -> {
                arraycopy(args.get(0), args.get(1).value(), args.get(2), args.get(3).value(), args.get(4).value());
                yield null;
            }
            case "fill" -> {
                JValue array = args.getFirst();
                if (args.size() == 2) {
                    fill(array, ir.zero(ir.i32()), array.length(), args.get(1));
                } else {
                    rangeCheck(array.length(), args.get(1).value(), args.get(2).value());
                    fill(array, args.get(1).value(), args.get(2).value(), args.get(3));
                }
                yield null;
            }
            case "copyOf" -> copyRange(args.get(0), ir.zero(ir.i32()), args.get(1).value(), insideLoop);
            case "copyOfRange" -> {
                LLVMValueRef from = args.get(1).value(), to = args.get(2).value();
                exits.failIfDetails(ir.icmp(LLVMIntSLT, ir.sub(to, from), ir.zero(ir.i32())), StatusCode.RANGE,
                        ir.constInt(ir.i32(), COPY_RANGE), from, to);
                yield copyRange(args.get(0), from, ir.sub(to, from), insideLoop);
            }
            case "clone" -> copyRange(typed(args.getFirst(), arrayType(owner)), ir.zero(ir.i32()),
                    args.getFirst().length(), insideLoop);
            default -> throw new IllegalStateException(Messages.LIBRARY_METHOD_UNEXPECTED.format(name));
        };
    }

    /** {@code new T[length]} holding {@code original[from ..]} (as far as it reaches), via arraycopy's checks. */
    private JValue copyRange(JValue original, LLVMValueRef from, LLVMValueRef length, boolean insideLoop) {
        JavaType type = typeOf(original, "Arrays.copyOf");
        JValue copy = arrays.newArray(JValue.scalar(ValueKind.INT, length), ArrayOps.typeKind(type), insideLoop);
        Callee smin = module.intrinsic("llvm.smin", ir.i32());
        LLVMValueRef count = ir.call(smin.type(), smin.function(), ir.sub(original.length(), from), length);
        arraycopy(original, from, copy, ir.zero(ir.i32()), count);
        return copy;
    }

    private void arraycopy(JValue source, LLVMValueRef sourcePosition, JValue destination,
                           LLVMValueRef destinationPosition, LLVMValueRef length) {
        JavaType type = source.arrayType() != null ? source.arrayType() : destination.arrayType();
        if (type == null) {
            throw Unsupported.construct(Messages.ARRAY_OF_UNKNOWN_TYPE, "System.arraycopy");
        }
        if (type.isMatrix()) {
            throw Unsupported.construct(Messages.COPYING_ROWS, type.javaName(), "System.arraycopy");
        }
        if (source.arrayType() != null && destination.arrayType() != null
                && source.arrayType() != destination.arrayType()) {
            throw Unsupported.construct(Messages.ARRAYCOPY_TYPES, source.arrayType().javaName(),
                    destination.arrayType().javaName());
        }
        LLVMValueRef zero = ir.zero(ir.i32());
        int element = type.ordinal() << 4;
        exits.failIfDetails(ir.icmp(LLVMIntSLT, sourcePosition, zero), StatusCode.ARRAYCOPY,
                ir.constInt(ir.i32(), SOURCE_INDEX | element), sourcePosition, source.length());
        exits.failIfDetails(ir.icmp(LLVMIntSLT, destinationPosition, zero), StatusCode.ARRAYCOPY,
                ir.constInt(ir.i32(), DESTINATION_INDEX | element), destinationPosition, destination.length());
        exits.failIfDetails(ir.icmp(LLVMIntSLT, length, zero), StatusCode.ARRAYCOPY,
                ir.constInt(ir.i32(), NEGATIVE_LENGTH | element), length, zero);
        LLVMValueRef sourceEnd = ir.add(length, sourcePosition), destinationEnd = ir.add(length, destinationPosition);
        exits.failIfDetails(ir.icmp(LLVMIntUGT, sourceEnd, source.length()), StatusCode.ARRAYCOPY,
                ir.constInt(ir.i32(), LAST_SOURCE | element), sourceEnd, source.length());
        exits.failIfDetails(ir.icmp(LLVMIntUGT, destinationEnd, destination.length()), StatusCode.ARRAYCOPY,
                ir.constInt(ir.i32(), LAST_DESTINATION | element), destinationEnd, destination.length());
        // Overlapping copies within one array go backwards when the destination starts later.
        LLVMValueRef backward = ir.and(ir.icmp(LLVMIntEQ, source.value(), destination.value()),
                ir.icmp(LLVMIntSLT, sourcePosition, destinationPosition));
        JavaType elementType = ArrayOps.elementOf(type);
        loop(length, i -> {
            LLVMValueRef k = ir.select(backward, ir.sub(ir.sub(length, ir.constInt(ir.i32(), 1)), i), i);
            LLVMValueRef value = access(elementType, source.value(), ir.add(sourcePosition, k), null);
            access(elementType, destination.value(), ir.add(destinationPosition, k), value);
        });
    }

    private void fill(JValue array, LLVMValueRef from, LLVMValueRef to, JValue value) {
        JavaType element = ArrayOps.elementOf(typeOf(array, "Arrays.fill"));
        loop(ir.sub(to, from), i -> access(element, array.value(), ir.add(from, i), value.value()));
    }

    /** Arrays.rangeCheck: from > to, then from < 0, then to > length. */
    private void rangeCheck(LLVMValueRef length, LLVMValueRef from, LLVMValueRef to) {
        exits.failIfDetails(ir.icmp(LLVMIntSGT, from, to), StatusCode.RANGE, ir.constInt(ir.i32(), FROM_AFTER_TO),
                from, to);
        exits.failIfDetails(ir.icmp(LLVMIntSLT, from, ir.zero(ir.i32())), StatusCode.RANGE,
                ir.constInt(ir.i32(), INDEX_OUT_OF_RANGE), from, ir.zero(ir.i32()));
        exits.failIfDetails(ir.icmp(LLVMIntSGT, to, length), StatusCode.RANGE,
                ir.constInt(ir.i32(), INDEX_OUT_OF_RANGE), to, ir.zero(ir.i32()));
    }

    /** A typed load (value null) or store of element {@code index}, already checked to be in bounds. */
    private LLVMValueRef access(JavaType element, LLVMValueRef data, LLVMValueRef index, LLVMValueRef value) {
        LLVMTypeRef type = module.type(ValueKind.of(element));
        LLVMValueRef address = ir.inBoundsGep(type, data, ir.zext(index, ir.i64()));
        LLVMValueRef access = value == null ? ir.load(type, address, "") : ir.store(value, address);
        ir.setAlignment(access, ArrayOps.byteSize(element));
        module.tbaa().attach(access, element);
        return access;
    }

    /** for (i = 0; i < count; i++) body(i), with its counter in a fresh frame slot. */
    private void loop(LLVMValueRef count, java.util.function.Consumer<LLVMValueRef> body) {
        CountedLoop.emit(ir, slots.newInitialisedSlot(ir.i32(), ir.zero(ir.i32()), "library.i"), count, "library",
                body);
    }

    private static JavaType typeOf(JValue array, String method) {
        if (array.arrayType() == null) {
            throw Unsupported.construct(Messages.ARRAY_OF_UNKNOWN_TYPE, method);
        }
        if (array.arrayType().isMatrix()) {
            throw Unsupported.construct(Messages.COPYING_ROWS, array.arrayType().javaName(), method);
        }
        return array.arrayType();
    }

    private static JValue typed(JValue array, JavaType type) {
        return JValue.array(array.value(), array.length(), type);
    }

    private static JavaType arrayType(String descriptor) {
        return JavaType.ofDescriptor(descriptor).orElseThrow();
    }
}
