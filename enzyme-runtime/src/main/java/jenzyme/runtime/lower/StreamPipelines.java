package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.LLVMIntNE;
import static org.bytedeco.llvm.global.LLVM.LLVMIntSGT;
import static org.bytedeco.llvm.global.LLVM.LLVMIntSLT;

import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.error.Messages;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Stream pipelines over arrays and int ranges, lowered as loops: {@code Arrays.stream(x).map(v -> v * v).sum()},
 * {@code IntStream.range(0, n).mapToDouble(i -> x[i] * y[i]).sum()}, {@code .max()}, {@code .reduce(...)}. A
 * stream is a compile-time value (its source and lambdas, like a record of them) until its terminal operation emits
 * one loop that applies each operation to each element in order: the JVM's sequential order, so the results are
 * the JVM's bit for bit, {@code DoubleStream.sum()}'s compensated (Kahan) summation and {@code average()} included.
 * {@code OptionalDouble}/{@code OptionalInt}/{@code OptionalLong} results are values (present, value); reading an
 * empty one raises {@code NoSuchElementException: No value present} like the JVM.
 *
 * <p>Under {@code --fast-math} LLVM may reassociate the compensated sum into a plain one (its last bits change).
 */
final class StreamPipelines {

    private static final String PACKAGE = "java/util/stream/";
    private static final String OPTIONAL = "jenzyme/stream/Optional";

    private enum Source { ARRAY, RANGE, RANGE_CLOSED }

    /** An intermediate operation: {@code map} (to the element type {@code to}), {@code filter} or {@code convert}. */
    private record Op(String kind, JavaType to) {}

    /** Where the elements come from, their type there ({@code first}) and after the operations ({@code element}). */
    private record Plan(Source source, JavaType first, JavaType element, List<Op> ops) {
        Plan(Source source, JavaType first) {
            this(source, first, first, List.of());
        }

        Plan then(Op op) {
            List<Op> more = new ArrayList<>(ops);
            more.add(op);
            return new Plan(source, first, op.to(), more);
        }
    }

    private final IrModule module;
    private final IrBuilder ir;
    private final LLVMValueRef function;
    private final FrameSlots slots;
    private final ExitPaths exits;
    private final Arithmetic arithmetic;
    private final ArrayOps arrays;
    private final MathCalls math;
    private final BiFunction<JValue, List<JValue>, JValue> applyLambda;
    private final Map<String, Plan> plans = new HashMap<>();
    private int loops;

    StreamPipelines(IrModule module, LLVMValueRef function, FrameSlots slots, ExitPaths exits, Arithmetic arithmetic,
                    ArrayOps arrays, MathCalls math, BiFunction<JValue, List<JValue>, JValue> applyLambda) {
        this.module = module;
        this.ir = module.ir();
        this.function = function;
        this.slots = slots;
        this.exits = exits;
        this.arithmetic = arithmetic;
        this.arrays = arrays;
        this.math = math;
        this.applyLambda = applyLambda;
    }

    static boolean handles(String owner, String name) {
        return owner.equals("java/util/Arrays") && name.equals("stream") || owner.equals(PACKAGE + "IntStream")
                || owner.equals(PACKAGE + "LongStream") || owner.equals(PACKAGE + "DoubleStream")
                || owner.equals("java/util/OptionalDouble") || owner.equals("java/util/OptionalInt")
                || owner.equals("java/util/OptionalLong");
    }

    /** The stream, optional or number the call gives (null for none). */
    JValue call(String owner, String name, String descriptor, List<JValue> args) {
        String written = JavaWords.method(owner, name, descriptor);
        if (owner.equals("java/util/Arrays")) {
            JavaType array = JavaType.ofDescriptor(descriptor.substring(1, 3)).filter(t -> args.size() == 1)
                    .orElseThrow(() -> Unsupported.construct(Messages.STREAM_OPERATION, written));
            return stream(new Plan(Source.ARRAY, element(array)), args, List.of(array));
        }
        if (owner.startsWith("java/util/Optional")) {
            return optional(name, args, written);
        }
        if (name.equals("range") || name.equals("rangeClosed")) {
            if (!descriptor.startsWith("(II)")) {
                throw Unsupported.construct(Messages.STREAM_OPERATION, written);
            }
            return stream(new Plan(name.equals("range") ? Source.RANGE : Source.RANGE_CLOSED, JavaType.INT), args,
                    List.of(JavaType.INT, JavaType.INT));
        }
        Plan plan = args.isEmpty() || args.getFirst().kind() != ValueKind.RECORD ? null
                : plans.get(args.getFirst().shape().internalName());
        if (plan == null) {
            throw Unsupported.construct(Messages.STREAM_OPERATION, written);
        }
        JValue stream = args.getFirst();
        return switch (name) {
            case "map" -> extend(stream, plan.then(new Op("map", plan.element())), args.get(1));
            case "mapToDouble" -> extend(stream, plan.then(new Op("map", JavaType.DOUBLE)), args.get(1));
            case "mapToInt" -> extend(stream, plan.then(new Op("map", JavaType.INT)), args.get(1));
            case "mapToLong" -> extend(stream, plan.then(new Op("map", JavaType.LONG)), args.get(1));
            case "filter" -> extend(stream, plan.then(new Op("filter", plan.element())), args.get(1));
            case "asDoubleStream" -> extend(stream, plan.then(new Op("convert", JavaType.DOUBLE)), null);
            case "asLongStream" -> extend(stream, plan.then(new Op("convert", JavaType.LONG)), null);
            case "sum" -> sum(plan, stream);
            case "count" -> count(plan, stream);
            case "max", "min" -> reduce(plan, stream, null, (acc, e) -> math.call("java/lang/Math", name,
                    "(" + plan.element().descriptor().repeat(2) + ")" + plan.element().descriptor(), List.of(acc, e)));
            case "reduce" -> args.size() == 3
                    ? reduce(plan, stream, args.get(1), (acc, e) -> applyLambda.apply(args.get(2), List.of(acc, e)))
                    : reduce(plan, stream, null, (acc, e) -> applyLambda.apply(args.get(1), List.of(acc, e)));
            case "average" -> average(plan, stream);
            default -> throw Unsupported.construct(Messages.STREAM_OPERATION, written);
        };
    }

    private static JavaType element(JavaType array) {
        return switch (array) {
            case DOUBLE_ARRAY -> JavaType.DOUBLE;
            case INT_ARRAY -> JavaType.INT;
            case LONG_ARRAY -> JavaType.LONG;
            default -> throw Unsupported.construct(Messages.STREAM_OPERATION, "Arrays.stream(" + array.javaName() + ")");
        };
    }

    private JValue extend(JValue stream, Plan plan, JValue lambda) {
        List<JValue> parts = new ArrayList<>(stream.components());
        List<Shape> shapes = new ArrayList<>(stream.shape().components().stream().map(c -> c.shape()).toList());
        if (lambda != null) {
            if (lambda.kind() != ValueKind.RECORD || !lambda.shape().isFunctional()) {
                throw Unsupported.malformed("a stream operation's argument is not a lambda");
            }
            parts.add(lambda);
            shapes.add(lambda.shape());
        }
        return stream(plan, parts, shapes);
    }

    /** The stream as a value: its source and lambdas as components, its plan kept here under its shape's name. */
    private JValue stream(Plan plan, List<JValue> parts, List<? extends Shape> shapes) {
        List<RecordShape.Component> components = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) {
            components.add(new RecordShape.Component("part" + i, ClassLibrary.descriptorOf(shapes.get(i)), shapes.get(i)));
        }
        String name = "jenzyme/stream/" + plan.element().javaName() + "Stream$"
                + SymbolNames.hash(plan + "|" + components);
        plans.put(name, plan);
        return JValue.record(new RecordShape(name, components, false), parts);
    }

    // ---- the loop

    /** Emits the loop over the stream's elements; {@code body} receives each element that passes the filters. */
    private void forEach(Plan plan, JValue stream, Consumer<JValue> body) {
        List<JValue> parts = stream.components();
        String key = "stream" + loops++;
        LLVMValueRef from = plan.source() == Source.ARRAY ? ir.zero(ir.i64()) : ir.sext(parts.get(0).value(), ir.i64());
        LLVMValueRef to = ir.sext(plan.source() == Source.ARRAY ? parts.get(0).length() : parts.get(1).value(), ir.i64());
        if (plan.source() == Source.RANGE_CLOSED) {
            to = ir.add(to, ir.constInt(ir.i64(), 1)); // in 64 bits: rangeClosed(0, Integer.MAX_VALUE) ends
        }
        slots.store(key + ".i", JValue.scalar(ValueKind.LONG, from), key + ".i");
        LLVMBasicBlockRef header = ir.appendBlock(function, key + ".header");
        LLVMBasicBlockRef next = ir.appendBlock(function, key + ".next");
        LLVMBasicBlockRef exit = ir.appendBlock(function, key + ".exit");
        ir.br(header);
        ir.positionAtEnd(header);
        exits.pollInterrupt();
        LLVMValueRef i = slots.load(key + ".i", ValueKind.LONG, key + ".i").value();
        LLVMBasicBlockRef bodyBlock = ir.appendBlock(function, key + ".body");
        ir.condBr(ir.icmp(LLVMIntSLT, i, to), bodyBlock, exit);
        ir.positionAtEnd(bodyBlock);
        JValue index = JValue.scalar(ValueKind.INT, ir.trunc(i, ir.i32()));
        JValue element = plan.source() == Source.ARRAY
                ? arrays.load(parts.get(0), index, TypeKind.from(plan.first().javaClass())) : index;
        int lambda = plan.source() == Source.ARRAY ? 1 : 2;
        JavaType type = plan.first();
        for (Op op : plan.ops()) {
            switch (op.kind()) {
                case "map" -> element = applyLambda.apply(parts.get(lambda++), List.of(element));
                case "convert" -> element = arithmetic.convert(TypeKind.from(type.javaClass()),
                        TypeKind.from(op.to().javaClass()), element);
                default -> {
                    JValue keep = applyLambda.apply(parts.get(lambda++), List.of(element));
                    LLVMBasicBlockRef kept = ir.appendBlock(function, key + ".kept");
                    ir.condBr(ir.icmp(LLVMIntNE, keep.value(), ir.zero(ir.i32())), kept, next);
                    ir.positionAtEnd(kept);
                }
            }
            type = op.to();
        }
        body.accept(element);
        ir.br(next);
        ir.positionAtEnd(next);
        slots.store(key + ".i", JValue.scalar(ValueKind.LONG, ir.add(
                slots.load(key + ".i", ValueKind.LONG, key + ".i").value(), ir.constInt(ir.i64(), 1))), key + ".i");
        ir.br(header);
        ir.positionAtEnd(exit);
    }

    // ---- terminal operations

    private JValue sum(Plan plan, JValue stream) {
        if (plan.element() != JavaType.DOUBLE) {
            Opcode add = plan.element() == JavaType.INT ? Opcode.IADD : Opcode.LADD;
            return fold(plan, stream, zero(plan.element()), (acc, e) -> arithmetic.binary(add, acc, e));
        }
        return compensatedSum(plan, stream, false);
    }

    /**
     * DoubleStream.sum() as the JDK computes it (Collectors.sumWithCompensation, computeFinalSum): a Kahan sum, a
     * plain sum for the case of same-signed infinities, and for {@code average()} the count as a double.
     */
    private JValue compensatedSum(Plan plan, JValue stream, boolean average) {
        String key = "stream" + loops + ".kahan";
        JValue zero = zero(JavaType.DOUBLE);
        for (String part : List.of(".sum", ".c", ".simple", ".n")) {
            slots.store(key + part, zero, key + part);
        }
        forEach(plan, stream, e -> {
            JValue c = slots.load(key + ".c", ValueKind.DOUBLE, key + ".c");
            JValue s = slots.load(key + ".sum", ValueKind.DOUBLE, key + ".sum");
            JValue tmp = arithmetic.binary(Opcode.DSUB, e, c);
            JValue velvel = arithmetic.binary(Opcode.DADD, s, tmp);
            slots.store(key + ".c", arithmetic.binary(Opcode.DSUB, arithmetic.binary(Opcode.DSUB, velvel, s), tmp),
                    key + ".c");
            slots.store(key + ".sum", velvel, key + ".sum");
            slots.store(key + ".simple", arithmetic.binary(Opcode.DADD,
                    slots.load(key + ".simple", ValueKind.DOUBLE, key + ".simple"), e), key + ".simple");
            slots.store(key + ".n", arithmetic.binary(Opcode.DADD, slots.load(key + ".n", ValueKind.DOUBLE, key + ".n"),
                    JValue.scalar(ValueKind.DOUBLE, ir.constReal(ir.f64(), 1))), key + ".n");
        });
        JValue tmp = arithmetic.binary(Opcode.DSUB, slots.load(key + ".sum", ValueKind.DOUBLE, key + ".sum"),
                slots.load(key + ".c", ValueKind.DOUBLE, key + ".c"));
        JValue simple = slots.load(key + ".simple", ValueKind.DOUBLE, key + ".simple");
        LLVMValueRef spurious = ir.and(
                math.call("java/lang/Double", "isNaN", "(D)Z", List.of(tmp)).value(),
                math.call("java/lang/Double", "isInfinite", "(D)Z", List.of(simple)).value());
        JValue sum = JValue.scalar(ValueKind.DOUBLE,
                ir.select(ir.icmp(LLVMIntNE, spurious, ir.zero(ir.i32())), simple.value(), tmp.value()));
        if (!average) {
            return sum;
        }
        JValue n = slots.load(key + ".n", ValueKind.DOUBLE, key + ".n");
        LLVMValueRef present = ir.zext(ir.fcmp(org.bytedeco.llvm.global.LLVM.LLVMRealOGT, n.value(),
                ir.constReal(ir.f64(), 0)), ir.i32());
        return optional(JavaType.DOUBLE, present, arithmetic.binary(Opcode.DDIV, sum, n));
    }

    private JValue average(Plan plan, JValue stream) {
        if (plan.element() == JavaType.DOUBLE) {
            return compensatedSum(plan, stream, true);
        }
        // IntStream/LongStream.average(): a long count and a long sum, then (double) sum / count.
        String key = "stream" + loops + ".average";
        JValue zero = zero(JavaType.LONG);
        slots.store(key + ".n", zero, key + ".n");
        slots.store(key + ".sum", zero, key + ".sum");
        forEach(plan, stream, e -> {
            JValue wide = plan.element() == JavaType.INT ? arithmetic.convert(TypeKind.INT, TypeKind.LONG, e) : e;
            slots.store(key + ".sum", arithmetic.binary(Opcode.LADD,
                    slots.load(key + ".sum", ValueKind.LONG, key + ".sum"), wide), key + ".sum");
            slots.store(key + ".n", arithmetic.binary(Opcode.LADD, slots.load(key + ".n", ValueKind.LONG, key + ".n"),
                    JValue.scalar(ValueKind.LONG, ir.constInt(ir.i64(), 1))), key + ".n");
        });
        JValue n = slots.load(key + ".n", ValueKind.LONG, key + ".n");
        JValue mean = arithmetic.binary(Opcode.DDIV,
                arithmetic.convert(TypeKind.LONG, TypeKind.DOUBLE, slots.load(key + ".sum", ValueKind.LONG, key + ".sum")),
                arithmetic.convert(TypeKind.LONG, TypeKind.DOUBLE, n));
        return optional(JavaType.DOUBLE, ir.zext(ir.icmp(LLVMIntSGT, n.value(), ir.zero(ir.i64())), ir.i32()), mean);
    }

    private JValue count(Plan plan, JValue stream) {
        return fold(plan, stream, zero(JavaType.LONG), (acc, e) -> arithmetic.binary(Opcode.LADD, acc,
                JValue.scalar(ValueKind.LONG, ir.constInt(ir.i64(), 1))));
    }

    private JValue fold(Plan plan, JValue stream, JValue identity, BiFunction<JValue, JValue, JValue> op) {
        String key = "stream" + loops + ".acc";
        slots.store(key, identity, key);
        ValueKind kind = identity.kind();
        forEach(plan, stream, e -> slots.store(key, op.apply(slots.load(key, kind, key), e), key));
        return slots.load(key, kind, key);
    }

    /** {@code reduce(identity, op)}, or without identity ({@code identity} null) an optional seeded by the first. */
    private JValue reduce(Plan plan, JValue stream, JValue identity, BiFunction<JValue, JValue, JValue> op) {
        if (identity != null) {
            return fold(plan, stream, identity, op);
        }
        String key = "stream" + loops + ".reduce";
        ValueKind kind = ValueKind.of(plan.element());
        slots.store(key + ".present", zero(JavaType.INT), key + ".present");
        slots.store(key, zero(plan.element()), key);
        forEach(plan, stream, e -> {
            LLVMValueRef present = slots.load(key + ".present", ValueKind.INT, key + ".present").value();
            LLVMBasicBlockRef first = ir.appendBlock(function, key + ".first");
            LLVMBasicBlockRef later = ir.appendBlock(function, key + ".later");
            LLVMBasicBlockRef done = ir.appendBlock(function, key + ".done");
            ir.condBr(ir.icmp(LLVMIntNE, present, ir.zero(ir.i32())), later, first);
            ir.positionAtEnd(first);
            slots.store(key, e, key);
            slots.store(key + ".present", JValue.scalar(ValueKind.INT, ir.constInt(ir.i32(), 1)), key + ".present");
            ir.br(done);
            ir.positionAtEnd(later);
            slots.store(key, op.apply(slots.load(key, kind, key), e), key);
            ir.br(done);
            ir.positionAtEnd(done);
        });
        return optional(plan.element(), slots.load(key + ".present", ValueKind.INT, key + ".present").value(),
                slots.load(key, kind, key));
    }

    // ---- optionals

    private JValue optional(JavaType type, LLVMValueRef present, JValue value) {
        RecordShape shape = new RecordShape(OPTIONAL + type.javaName(), List.of(
                new RecordShape.Component("present", "I", JavaType.INT),
                new RecordShape.Component("value", type.descriptor(), type)), false);
        return JValue.record(shape, List.of(JValue.scalar(ValueKind.INT, present), value));
    }

    private JValue optional(String name, List<JValue> args, String written) {
        JValue optional = args.getFirst();
        if (optional.kind() != ValueKind.RECORD || !optional.shape().internalName().startsWith(OPTIONAL)) {
            throw Unsupported.construct(Messages.STREAM_OPERATION, written);
        }
        LLVMValueRef present = optional.components().get(0).value();
        JValue value = optional.components().get(1);
        LLVMValueRef isPresent = ir.icmp(LLVMIntNE, present, ir.zero(ir.i32()));
        return switch (name) {
            case "getAsDouble", "getAsInt", "getAsLong", "orElseThrow" -> {
                if (args.size() != 1) {
                    throw Unsupported.construct(Messages.STREAM_OPERATION, written);
                }
                int id = module.thrownId(new ThrownExceptions.Thrown("java/util/NoSuchElementException",
                        "No value present"));
                exits.failIf(ir.icmp(org.bytedeco.llvm.global.LLVM.LLVMIntEQ, present, ir.zero(ir.i32())),
                        StatusCode.THROWN, ir.constInt(ir.i32(), id), null);
                yield value;
            }
            case "orElse" -> JValue.scalar(value.kind(), ir.select(isPresent, value.value(), args.get(1).value()));
            case "isPresent" -> JValue.scalar(ValueKind.INT, present);
            case "isEmpty" -> JValue.scalar(ValueKind.INT, ir.zext(ir.icmp(org.bytedeco.llvm.global.LLVM.LLVMIntEQ,
                    present, ir.zero(ir.i32())), ir.i32()));
            default -> throw Unsupported.construct(Messages.STREAM_OPERATION, written);
        };
    }

    private JValue zero(JavaType type) {
        return JValue.scalar(ValueKind.of(type), ir.zero(module.type(ValueKind.of(type))));
    }
}
