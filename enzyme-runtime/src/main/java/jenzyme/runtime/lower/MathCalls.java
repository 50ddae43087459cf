package jenzyme.runtime.lower;

import static org.bytedeco.llvm.global.LLVM.*;

import java.lang.classfile.Opcode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jenzyme.runtime.error.JavaWords;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import jenzyme.runtime.error.Messages;

/**
 * {@code Math.*}, {@code StrictMath.*} and the {@code Double}/{@code Float} classification methods, lowered to LLVM
 * intrinsics (exact operations, and the transcendental ones Enzyme differentiates as intrinsics) or to libm calls
 * that Enzyme knows by name. Java semantics kept: min/max propagate NaN and order -0.0 below +0.0 (IEEE
 * {@code minimum}/{@code maximum}), round is floor(x + 0.5) computed exactly, signum keeps zeros and NaN.
 * libm and the JVM may differ by an ulp on transcendental functions (measured in the differential tests).
 */
final class MathCalls {

    private static final Set<String> OWNERS =
            Set.of("java/lang/Math", "java/lang/StrictMath", "java/lang/Double", "java/lang/Float");

    /** Name and descriptor → LLVM intrinsic overloaded on the operand type. */
    private static final Map<String, String> INTRINSICS = Map.ofEntries(
            Map.entry("sin(D)D", "llvm.sin"), Map.entry("cos(D)D", "llvm.cos"), Map.entry("exp(D)D", "llvm.exp"),
            Map.entry("log(D)D", "llvm.log"), Map.entry("log10(D)D", "llvm.log10"),
            Map.entry("sqrt(D)D", "llvm.sqrt"),
            Map.entry("floor(D)D", "llvm.floor"), Map.entry("ceil(D)D", "llvm.ceil"), Map.entry("rint(D)D", "llvm.rint"),
            Map.entry("abs(D)D", "llvm.fabs"), Map.entry("abs(F)F", "llvm.fabs"),
            Map.entry("fma(DDD)D", "llvm.fma"), Map.entry("fma(FFF)F", "llvm.fma"),
            Map.entry("copySign(DD)D", "llvm.copysign"), Map.entry("copySign(FF)F", "llvm.copysign"),
            Map.entry("min(DD)D", "llvm.minimum"), Map.entry("min(FF)F", "llvm.minimum"),
            Map.entry("max(DD)D", "llvm.maximum"), Map.entry("max(FF)F", "llvm.maximum"),
            Map.entry("min(II)I", "llvm.smin"), Map.entry("min(JJ)J", "llvm.smin"),
            Map.entry("max(II)I", "llvm.smax"), Map.entry("max(JJ)J", "llvm.smax"));

    /** Name and descriptor → libm function of the same arity (all double). */
    private static final Map<String, String> LIBM = Map.ofEntries(
            Map.entry("tan(D)D", "tan"), Map.entry("asin(D)D", "asin"), Map.entry("acos(D)D", "acos"),
            Map.entry("atan(D)D", "atan"), Map.entry("atan2(DD)D", "atan2"), Map.entry("sinh(D)D", "sinh"),
            Map.entry("cosh(D)D", "cosh"), Map.entry("tanh(D)D", "tanh"), Map.entry("hypot(DD)D", "hypot"),
            Map.entry("expm1(D)D", "expm1"), Map.entry("log1p(D)D", "log1p"),
            Map.entry("IEEEremainder(DD)D", "remainder"));

    /**
     * The StrictMath methods whose results are exact or correctly rounded, so any correct implementation gives the
     * JVM's bits. The others are specified bit for bit as fdlibm's algorithms, which the C library does not follow
     * (measured: 2.5–51% of inputs differ in the last bit), so they are refused rather than silently inexact.
     */
    private static final Set<String> STRICT_EXACT = Set.of("sqrt", "abs", "floor", "ceil", "rint", "fma", "copySign",
            "min", "max", "signum", "round", "floorDiv", "floorMod", "toRadians", "toDegrees", "IEEEremainder",
            "scalb", "nextUp", "nextDown", "nextAfter", "ulp");

    /** Math.toRadians/toDegrees multiply by these constants in the JDK. */
    private static final double DEGREES_TO_RADIANS = 0.017453292519943295;
    private static final double RADIANS_TO_DEGREES = 57.29577951308232;

    private final IrModule module;
    private final IrBuilder ir;
    private final Arithmetic arithmetic;

    MathCalls(IrModule module, Arithmetic arithmetic) {
        this.module = module;
        this.ir = module.ir();
        this.arithmetic = arithmetic;
    }

    static boolean handles(String owner) {
        return OWNERS.contains(owner);
    }

    /** Lowers a static call on one of {@link #OWNERS}; throws {@link Unsupported} for methods without a mapping. */
    JValue call(String owner, String name, String descriptor, List<JValue> args) {
        String key = name + descriptor;
        boolean math = !owner.startsWith("java/lang/Double") && !owner.startsWith("java/lang/Float");
        if (owner.equals("java/lang/StrictMath") && !STRICT_EXACT.contains(name)) {
            throw Unsupported.construct(Messages.CALLING_FDLIBM_STRICT, JavaWords.method(owner, name, descriptor), name);
        }
        if (math && INTRINSICS.containsKey(key)) {
            return intrinsic(INTRINSICS.get(key), args);
        }
        if (math && LIBM.containsKey(key)) {
            Callee function = module.libm(LIBM.get(key), args.size());
            return JValue.scalar(ValueKind.DOUBLE, ir.call(function.type(), function.function(), values(args)));
        }
        JValue special = math ? mathSpecial(key, args) : classification(owner, key, args);
        if (special == null) {
            throw Unsupported.construct(Messages.CALLING_WITHOUT_NATIVE, JavaWords.method(owner, name, descriptor));
        }
        return special;
    }

    private JValue intrinsic(String name, List<JValue> args) {
        ValueKind kind = args.getFirst().kind();
        Callee function = module.intrinsic(name, module.type(kind));
        LLVMValueRef[] operands = values(args);
        if (name.equals("llvm.abs")) {
            operands = new LLVMValueRef[] {operands[0], ir.zero(ir.i1())}; // abs(MIN_VALUE) wraps, as in Java
        }
        return JValue.scalar(kind, ir.call(function.type(), function.function(), operands));
    }

    private JValue mathSpecial(String key, List<JValue> args) {
        return switch (key) {
            case "abs(I)I", "abs(J)J" -> intrinsic("llvm.abs", args);
            case "pow(DD)D" -> pow(args.get(0), args.get(1));
            case "cbrt(D)D" -> cbrt(args.getFirst());
            case "scalb(DI)D" -> JValue.scalar(ValueKind.DOUBLE, callLibm("scalbn",
                    ir.functionType(ir.f64(), ir.f64(), ir.i32()), args.get(0).value(), args.get(1).value()));
            case "nextUp(D)D" -> nextAfter(args.getFirst().value(), Double.POSITIVE_INFINITY);
            case "nextDown(D)D" -> nextAfter(args.getFirst().value(), Double.NEGATIVE_INFINITY);
            case "nextAfter(DD)D" -> nextAfter(args.get(0).value(), args.get(1).value());
            case "ulp(D)D" -> ulp(args.getFirst().value());
            case "signum(D)D", "signum(F)F" -> signum(args.getFirst());
            case "toRadians(D)D" -> scale(args.getFirst(), DEGREES_TO_RADIANS);
            case "toDegrees(D)D" -> scale(args.getFirst(), RADIANS_TO_DEGREES);
            case "round(D)J" -> round(args.getFirst(), ValueKind.LONG);
            case "round(F)I" -> round(args.getFirst(), ValueKind.INT);
            case "floorDiv(II)I", "floorDiv(JJ)J" -> floorDiv(args.get(0), args.get(1));
            case "floorMod(II)I", "floorMod(JJ)J" -> floorMod(args.get(0), args.get(1));
            default -> null;
        };
    }

    /**
     * Java's pow differs from C's where C returns 1: {@code pow(x, NaN)} is NaN even for x = 1, and
     * {@code pow(±1, ±infinity)} is NaN. Everything else matches, so llvm.pow is wrapped in a select.
     */
    private JValue pow(JValue x, JValue y) {
        Callee pow = module.intrinsic("llvm.pow", ir.f64());
        Callee fabs = module.intrinsic("llvm.fabs", ir.f64());
        LLVMValueRef result = ir.call(pow.type(), pow.function(), x.value(), y.value());
        LLVMValueRef yIsNaN = ir.fcmp(LLVMRealUNO, y.value(), y.value());
        LLVMValueRef unitBase = ir.fcmp(LLVMRealOEQ, ir.call(fabs.type(), fabs.function(), x.value()), ir.constReal(ir.f64(), 1));
        LLVMValueRef infiniteExponent = ir.fcmp(LLVMRealOEQ, ir.call(fabs.type(), fabs.function(), y.value()),
                ir.constReal(ir.f64(), Double.POSITIVE_INFINITY));
        LLVMValueRef javaNaN = ir.or(yIsNaN, ir.and(unitBase, infiniteExponent));
        // pow(x, ±0) is 1 for every x in Java, a signalling NaN too (C returns NaN for it). Only the NaN case is
        // selected: for other x, pow's own 1 keeps the derivative d/dy = ln x.
        LLVMValueRef nanToTheZero = ir.and(ir.fcmp(LLVMRealUNO, x.value(), x.value()),
                ir.fcmp(LLVMRealOEQ, y.value(), ir.zero(ir.f64())));
        LLVMValueRef javaResult = ir.select(javaNaN, ir.constReal(ir.f64(), Double.NaN), result);
        return JValue.scalar(ValueKind.DOUBLE, ir.select(nanToTheZero, ir.constReal(ir.f64(), 1), javaResult));
    }

    /**
     * Java requires cbrt within 1 ulp; glibc's is up to 1.36 ulp off (measured). One Newton step on glibc's result,
     * with the residual y³ - x computed almost exactly by fma, lands within 0.5 ulp + 2^-100 relative. Its
     * derivative is still 1/(3y²) (Newton's map has slope 0 in y at the root). Tiny x are scaled by 2^162 first so
     * that y³ stays normal; zeros, infinities and NaN keep libm's (exact) result.
     */
    private JValue cbrt(JValue x) {
        LLVMTypeRef f64 = ir.f64();
        LLVMValueRef tiny = ir.fcmp(LLVMRealOLT, fabs(x.value()), ir.constReal(f64, 0x1p-900));
        LLVMValueRef scaled = ir.select(tiny, ir.fmul(x.value(), ir.constReal(f64, 0x1p162)), x.value());
        LLVMValueRef y = callLibm("cbrt", ir.functionType(f64, f64), scaled);
        Callee fma = module.intrinsic("llvm.fma", f64);
        LLVMValueRef y2 = ir.fmul(y, y);
        LLVMValueRef y2Error = ir.call(fma.type(), fma.function(), y, y, ir.fneg(y2));
        LLVMValueRef residual = ir.fadd(ir.call(fma.type(), fma.function(), y2, y, ir.fneg(scaled)), ir.fmul(y2Error, y));
        LLVMValueRef corrected = ir.fsub(y, ir.fdiv(residual, ir.fmul(ir.constReal(f64, 3), y2)));
        LLVMValueRef regular = ir.fcmp(LLVMRealOLT, fabs(y), ir.constReal(f64, Double.POSITIVE_INFINITY));
        LLVMValueRef nonZero = ir.fcmp(LLVMRealONE, y, ir.zero(f64));
        LLVMValueRef refined = ir.select(ir.and(regular, nonZero), corrected, y);
        return JValue.scalar(ValueKind.DOUBLE, ir.select(tiny, ir.fmul(refined, ir.constReal(f64, 0x1p-54)), refined));
    }

    /**
     * nextUp/nextDown/nextAfter: C's nextafter, exactly, with the derivative 1 in x and 0 in the direction (the
     * result is x plus a step that is constant between adjacent doubles). Enzyme has no rule for nextafter, so the
     * step is computed by calls it treats as constants and added to x: {@code x + (n - x')} is n exactly, x' being
     * x recovered from n by one step back (adjacent doubles differ exactly). Where that sum is not n (infinite x,
     * a zero result whose sign the sum loses) n itself is taken, with the derivative 0 at those points.
     */
    private JValue nextAfter(LLVMValueRef x, LLVMValueRef direction) {
        LLVMTypeRef f64 = ir.f64();
        LLVMValueRef next = constantNextAfter(x, direction);
        LLVMValueRef sameX = constantNextAfter(next, x);
        LLVMValueRef stepped = ir.fadd(x, ir.fsub(next, sameX));
        LLVMValueRef finite = ir.fcmp(LLVMRealOLT, fabs(x), ir.constReal(f64, Double.POSITIVE_INFINITY));
        LLVMValueRef nonZero = ir.fcmp(LLVMRealUNE, next, ir.zero(f64));
        return JValue.scalar(ValueKind.DOUBLE, ir.select(ir.and(finite, nonZero), stepped, next));
    }

    private JValue nextAfter(LLVMValueRef x, double direction) {
        return nextAfter(x, ir.constReal(ir.f64(), direction));
    }

    /** nextafter(x, y) as a constant of differentiation. */
    private LLVMValueRef constantNextAfter(LLVMValueRef x, LLVMValueRef y) {
        LLVMValueRef call = callLibm("nextafter", ir.functionType(ir.f64(), ir.f64(), ir.f64()), x, y);
        ir.inactiveForAd(call);
        return call;
    }

    /**
     * Math.ulp: the gap above |x| (exact, subnormals included), except at MAX_VALUE, where Java gives 2^971 rather
     * than the infinite gap, and at infinity, where it gives +infinity. Piecewise constant: derivative 0, from
     * constant operands only (|x| is recovered from the step above it).
     */
    private JValue ulp(LLVMValueRef x) {
        LLVMTypeRef f64 = ir.f64();
        LLVMValueRef infinity = ir.constReal(f64, Double.POSITIVE_INFINITY);
        LLVMValueRef above = constantNextAfter(fabs(x), infinity);
        LLVMValueRef gap = ir.fsub(above, constantNextAfter(above, ir.zero(f64)));
        LLVMValueRef atMax = ir.fcmp(LLVMRealOEQ, fabs(x), ir.constReal(f64, Double.MAX_VALUE));
        LLVMValueRef atInfinity = ir.fcmp(LLVMRealOEQ, fabs(x), infinity);
        LLVMValueRef finite = ir.select(atMax, ir.constReal(f64, Math.ulp(Double.MAX_VALUE)), gap);
        return JValue.scalar(ValueKind.DOUBLE, ir.select(atInfinity, infinity, finite));
    }

    private LLVMValueRef fabs(LLVMValueRef x) {
        Callee fabs = module.intrinsic("llvm.fabs", ir.typeOf(x));
        return ir.call(fabs.type(), fabs.function(), x);
    }

    private LLVMValueRef callLibm(String name, LLVMTypeRef type, LLVMValueRef... args) {
        Callee function = module.libm(name, type);
        return ir.call(function.type(), function.function(), args);
    }

    /**
     * signum is copySign(m, x) with m = 1, 0 for ±0.0, NaN for NaN: built from constants only, so its derivative is
     * 0 everywhere (selecting x itself for zeros and NaN, as before, gave the derivative 1 there). Java leaves a
     * NaN's payload unspecified.
     */
    private JValue signum(JValue x) {
        LLVMTypeRef type = module.type(x.kind());
        LLVMValueRef isNaN = ir.fcmp(LLVMRealUNO, x.value(), x.value());
        LLVMValueRef isZero = ir.fcmp(LLVMRealOEQ, x.value(), ir.zero(type));
        LLVMValueRef magnitude = ir.select(isNaN, ir.constReal(type, Double.NaN),
                ir.select(isZero, ir.zero(type), ir.constReal(type, 1.0)));
        Callee copySign = module.intrinsic("llvm.copysign", type);
        return JValue.scalar(x.kind(), ir.call(copySign.type(), copySign.function(), magnitude, x.value()));
    }

    private JValue scale(JValue x, double factor) {
        return JValue.scalar(ValueKind.DOUBLE, ir.fmul(x.value(), ir.constReal(ir.f64(), factor)));
    }

    /**
     * Java's round: the closest integer, ties toward +infinity, NaN to 0, saturating. {@code x - floor(x)} is exact
     * for every finite x, so comparing it with 0.5 decides ties without the double rounding of {@code floor(x+0.5)}.
     */
    private JValue round(JValue x, ValueKind to) {
        LLVMTypeRef type = module.type(x.kind());
        Callee floor = module.intrinsic("llvm.floor", type);
        LLVMValueRef below = ir.call(floor.type(), floor.function(), x.value());
        LLVMValueRef fraction = ir.fsub(x.value(), below);
        LLVMValueRef roundUp = ir.fcmp(LLVMRealOGE, fraction, ir.constReal(type, 0.5));
        LLVMValueRef rounded = ir.select(roundUp, ir.fadd(below, ir.constReal(type, 1.0)), below);
        Callee saturate = module.intrinsic("llvm.fptosi.sat", module.type(to), type);
        return JValue.scalar(to, ir.call(saturate.type(), saturate.function(), rounded));
    }

    /** floorDiv: the quotient rounded toward negative infinity (division by zero raises as for {@code /}). */
    private JValue floorDiv(JValue x, JValue y) {
        JValue quotient = arithmetic.binary(x.kind() == ValueKind.INT ? Opcode.IDIV : Opcode.LDIV, x, y);
        LLVMTypeRef type = module.type(x.kind());
        LLVMValueRef signsDiffer = ir.icmp(LLVMIntSLT, ir.xor(x.value(), y.value()), ir.zero(type));
        LLVMValueRef inexact = ir.icmp(LLVMIntNE, ir.mul(quotient.value(), y.value()), x.value());
        LLVMValueRef adjust = ir.and(signsDiffer, inexact);
        return JValue.scalar(x.kind(), ir.select(adjust, ir.sub(quotient.value(), ir.constInt(type, 1)), quotient.value()));
    }

    /** floorMod: the remainder with the divisor's sign. */
    private JValue floorMod(JValue x, JValue y) {
        JValue remainder = arithmetic.binary(x.kind() == ValueKind.INT ? Opcode.IREM : Opcode.LREM, x, y);
        LLVMTypeRef type = module.type(x.kind());
        LLVMValueRef signsDiffer = ir.icmp(LLVMIntSLT, ir.xor(remainder.value(), y.value()), ir.zero(type));
        LLVMValueRef nonZero = ir.icmp(LLVMIntNE, remainder.value(), ir.zero(type));
        LLVMValueRef adjust = ir.and(signsDiffer, nonZero);
        return JValue.scalar(x.kind(), ir.select(adjust, ir.add(remainder.value(), y.value()), remainder.value()));
    }

    /** Double/Float.isNaN, isInfinite, isFinite: booleans as JVM ints. */
    private JValue classification(String owner, String key, List<JValue> args) {
        String type = owner.equals("java/lang/Double") ? "D" : "F";
        if (!key.endsWith("(" + type + ")Z")) {
            return null;
        }
        LLVMValueRef x = args.getFirst().value();
        LLVMTypeRef llvmType = module.type(args.getFirst().kind());
        Callee fabs = module.intrinsic("llvm.fabs", llvmType);
        LLVMValueRef infinity = ir.constReal(llvmType, Double.POSITIVE_INFINITY);
        LLVMValueRef test = switch (key.substring(0, key.indexOf('('))) {
            case "isNaN" -> ir.fcmp(LLVMRealUNO, x, x);
            case "isInfinite" -> ir.fcmp(LLVMRealOEQ, ir.call(fabs.type(), fabs.function(), x), infinity);
            case "isFinite" -> ir.fcmp(LLVMRealOLT, ir.call(fabs.type(), fabs.function(), x), infinity);
            default -> null;
        };
        return test == null ? null : JValue.scalar(ValueKind.INT, ir.zext(test, ir.i32()));
    }

    private static LLVMValueRef[] values(List<JValue> args) {
        return args.stream().map(JValue::value).toArray(LLVMValueRef[]::new);
    }
}
