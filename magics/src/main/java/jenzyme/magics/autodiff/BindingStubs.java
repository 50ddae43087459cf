package jenzyme.magics.autodiff;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.ad.Derivative;
import jenzyme.runtime.lower.EntryPoint;
import jenzyme.runtime.lower.JavaType;
import jenzyme.runtime.lower.NativeParameter;
import jenzyme.runtime.worker.Activity;
import jenzyme.runtime.worker.Mode;
import jenzyme.runtime.worker.NativeType;
import jenzyme.runtime.worker.OutputSlot;

/**
 * The Java source that binds compiled code as ordinary cell methods (docs/MAGICS.md is the contract): a holder
 * class with the handle as a constant, the allocation-free {@code _into} method in Enzyme's convention, and the
 * ergonomic method returning a record. Only source can define methods in JShell; the handles come from
 * {@link BoundHandles}.
 */
final class BindingStubs {

    /** The generated source and the signatures to show the user. */
    record Stubs(String source, List<String> signatures) {}

    private BindingStubs() {}

    /** The base of the generated names ({@code <base>_grad}, ...): {@code requested} if it is a Java identifier. */
    static String baseName(String requested) {
        if (!javax.lang.model.SourceVersion.isIdentifier(requested) || requested.equals("_")) {
            throw new IllegalArgumentException("expected a Java identifier for the generated names (--name), got '"
                    + requested + "'");
        }
        return requested;
    }

    /** {@code <name>_native}, with the method's own signature. */
    static Stubs nativeMethod(String name, EntryPoint entry, MethodHandle handle) {
        String holder = holder(name, "native");
        List<String> params = entry.parameters().stream().map(p -> p.type().javaName() + " " + p.name()).toList();
        List<String> args = entry.parameters().stream().map(NativeParameter::name).toList();
        String returns = entry.returnType().javaName();
        String call = holder + ".H.invokeExact(" + String.join(", ", args) + ")";
        String signature = returns + " " + name + "_native(" + String.join(", ", params) + ")";
        String source = holderClass(holder, handle)
                + signature + " {\n" + guarded(entry.returnType() == JavaType.VOID ? call + ";"
                        : "return (" + returns + ") " + call + ";") + "}\n";
        return new Stubs(source, List.of(signature));
    }

    /** {@code <name>_grad} / {@code <name>_grad_into} (reverse) or {@code <name>_fwd} / {@code _fwd_into}. */
    static Stubs derivative(String name, Derivative derivative) {
        boolean reverse = derivative.spec().mode() == Mode.REVERSE;
        String suffix = reverse ? "_grad" : "_fwd";
        String holder = holder(name, reverse ? "reverse" : "forward");
        EntryPoint entry = derivative.entry();
        List<OutputSlot> slots = derivative.wrapper().slots();

        List<String> intoParams = new ArrayList<>();
        List<String> intoArgs = new ArrayList<>();
        List<String> ergonomicParams = new ArrayList<>();
        List<String> ergonomicArgs = new ArrayList<>();
        List<String> allocations = new ArrayList<>();
        List<String> components = new ArrayList<>();
        List<String> componentValues = new ArrayList<>();
        for (int p = 0; p < entry.parameters().size(); p++) {
            NativeParameter parameter = entry.parameters().get(p);
            Activity activity = derivative.spec().activities().get(p);
            String type = parameter.type().javaName();
            intoParams.add(type + " " + parameter.name());
            intoArgs.add(parameter.name());
            ergonomicParams.add(type + " " + parameter.name());
            ergonomicArgs.add(parameter.name());
            if (activity == Activity.CONST) {
                continue;
            }
            String shadow = (reverse ? "d" : "t") + parameter.name();
            boolean hasShadowArgument = parameter.type().isArray() || !reverse;
            if (hasShadowArgument) {
                intoParams.add(type + " " + shadow);
                intoArgs.add(shadow);
            }
            if (reverse && parameter.type().isArray()) {
                allocations.add(type + " " + shadow + " = new " + parameter.type().elementType().javaName() + "["
                        + parameter.name() + ".length];");
                ergonomicArgs.add(shadow);
                components.add(type + " " + shadow);
                componentValues.add(shadow);
            } else if (reverse) {
                int slot = slotOf(slots, OutputSlot.Kind.ADJOINT, parameter.llvmIndex());
                components.add(type + " " + shadow);
                componentValues.add(slotValue(slots.get(slot), slot, "out$"));
            } else {
                ergonomicParams.add(type + " " + shadow);
                ergonomicArgs.add(shadow);
            }
        }
        boolean hasOut = !slots.isEmpty();
        // "out" unless the user's method already has a parameter of that name.
        String out = entry.parameters().stream().anyMatch(p -> p.name().equals("out")) ? "out$" : "out";
        if (hasOut) {
            intoParams.add("double[] " + out);
        }
        intoArgs.add(hasOut ? out : holder + ".NO_SLOTS");

        JavaType returnType = entry.returnType();
        boolean returnsValue = returnType != JavaType.VOID;
        String into = name + suffix + "_into";
        String intoSignature = (returnsValue ? returnType.javaName() : "void") + " " + into + "("
                + String.join(", ", intoParams) + ")";
        StringBuilder source = new StringBuilder(holderClass(holder, derivative.handle()));
        source.append(intoSignature).append(" {\n")
                .append(guarded(holder + ".H.invokeExact(" + String.join(", ", intoArgs) + ");"));
        if (returnsValue) {
            source.append("    return ").append(slotValue(slots.getFirst(), 0, out)).append(";\n");
        }
        source.append("}\n");
        List<String> signatures = new ArrayList<>(List.of(intoSignature));

        if (returnsValue) {
            String record = capitalised(name) + (reverse ? "Gradient" : "Tangent");
            List<String> recordComponents = new ArrayList<>(List.of(returnType.javaName() + " value"));
            List<String> recordValues = new ArrayList<>(List.of("out$[0]"));
            if (reverse) {
                recordComponents.addAll(components);
                recordValues.addAll(componentValues);
            } else {
                recordComponents.add(returnType.javaName() + " dvalue");
                recordValues.add(slotValue(slots.get(1), 1, "out$"));
            }
            if (returnType == JavaType.FLOAT) {
                recordValues.set(0, slotValue(slots.getFirst(), 0, "out$"));
            }
            String ergonomicSignature = record + " " + name + suffix + "(" + String.join(", ", ergonomicParams) + ")";
            source.append("record ").append(record).append("(").append(String.join(", ", recordComponents))
                    .append(") {}\n")
                    .append(ergonomicSignature).append(" {\n");
            allocations.forEach(a -> source.append("    ").append(a).append('\n'));
            source.append("    double[] out$ = new double[").append(slots.size()).append("];\n")
                    .append("    ").append(into).append("(").append(String.join(", ", ergonomicArgs))
                    .append(", out$);\n")
                    .append("    return new ").append(record).append("(").append(String.join(", ", recordValues))
                    .append(");\n}\n");
            signatures.addFirst(ergonomicSignature);
        }
        return new Stubs(source.toString(), signatures);
    }

    /** {@code double[] <name>_hvp(double[] p, double[] v)} and the allocation-free {@code _hvp_into}. */
    static Stubs hessianVectorProduct(String name, Derivative derivative) {
        String holder = holder(name, "hvp");
        String p = derivative.entry().parameters().getFirst().name();
        String into = "void " + name + "_hvp_into(double[] " + p + ", double[] v, double[] hv)";
        String ergonomic = "double[] " + name + "_hvp(double[] " + p + ", double[] v)";
        String source = holderClass(holder, derivative.handle())
                + into + " {\n" + guarded(holder + ".H.invokeExact(" + p + ", v, hv);") + "}\n"
                + ergonomic + " {\n    double[] hv = new double[" + p + ".length];\n    " + name + "_hvp_into(" + p
                + ", v, hv);\n    return hv;\n}\n";
        return new Stubs(source, List.of(ergonomic, into));
    }

    private static String holder(String name, String kind) {
        return name + "$" + kind;
    }

    private static String holderClass(String holder, MethodHandle handle) {
        return "final class " + holder + " {\n"
                + "    static final java.lang.invoke.MethodHandle H = jenzyme.magics.autodiff.BoundHandles.take(\""
                + BoundHandles.put(handle) + "\");\n"
                + "    static final double[] NO_SLOTS = {};\n"
                + "    private " + holder + "() {}\n"
                + "}\n";
    }

    /** invokeExact declares Throwable; what compiled code raises is unchecked, anything else is a binding bug. */
    private static String guarded(String statement) {
        return "    try {\n        " + statement + "\n    } catch (RuntimeException | Error e$) {\n        throw e$;\n"
                + "    } catch (Throwable t$) {\n        throw new IllegalStateException(t$);\n    }\n";
    }

    private static int slotOf(List<OutputSlot> slots, OutputSlot.Kind kind, int llvmIndex) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).kind() == kind && slots.get(i).index() == llvmIndex) {
                return i;
            }
        }
        throw new IllegalStateException("the worker returned no " + kind + " slot for argument " + llvmIndex
                + " in " + slots);
    }

    /** A float slot holds its value in the low 4 bytes of the 8-byte slot (little-endian x86-64). */
    private static String slotValue(OutputSlot slot, int index, String array) {
        String element = array + "[" + index + "]";
        return slot.type() == NativeType.FLOAT ? "Float.intBitsToFloat((int) Double.doubleToRawLongBits(" + element + "))"
                : element;
    }

    private static String capitalised(String name) {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
