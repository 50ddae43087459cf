package jenzyme.runtime.ad;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jenzyme.runtime.error.BindingException;
import jenzyme.runtime.error.Messages;

/**
 * The C-ABI wrapper a worker request produces (PROTOCOL.md, "The derivative's C ABI"), planned from the request's
 * arguments: each parameter's primal, immediately followed by its shadow (pointers) or tangent (scalars) when it
 * has one, then {@code ptr out}; output slots primal, then adjoints (reverse) or the return's tangent (forward).
 * The Java twin of the worker's {@code wrapper::Layout::plan}; {@link #check} holds the two in step at every call.
 * In vector mode ({@code width > 1}) every shadow and tangent parameter is a pointer to {@code width} lanes (shadow
 * pointers, or tangent values) and in forward mode the return's tangent takes one {@code dreturn} slot per lane
 * (vector reverse mode has no active scalars, so no adjoint slots).
 *
 * @param arguments      the worker request's {@code args} this wrapper answers
 * @param returnActivity the worker request's {@code return}
 */
public record WrapperLayout(Mode mode, int width, List<Argument> arguments, Activity returnActivity,
                            List<WrapperParameter> parameters, List<OutputSlot> slots) {

    public WrapperLayout {
        if (width < 1) {
            throw new IllegalArgumentException(Messages.LAYOUT_WIDTH.format(width, mode.token()));
        }
        arguments = List.copyOf(arguments);
        parameters = List.copyOf(parameters);
        slots = List.copyOf(slots);
    }

    /**
     * @param types      the differentiated function's LLVM parameter types, one per argument
     * @param returnType its LLVM return type, null for void
     */
    static WrapperLayout plan(Mode mode, int width, List<Argument> arguments, List<NativeType> types,
                              NativeType returnType, Activity returnActivity, boolean primalReturn) {
        if (types.size() != arguments.size()) {
            throw new IllegalArgumentException(Messages.WRAPPER_TYPES_PER_ARGUMENT.format(arguments, types));
        }
        List<WrapperParameter> parameters = new ArrayList<>();
        List<OutputSlot> slots = new ArrayList<>();
        for (int i = 0; i < arguments.size(); i++) {
            Argument argument = arguments.get(i);
            parameters.add(new WrapperParameter(WrapperParameter.Role.ARG, i, types.get(i)));
            if (argument.activity().hasShadow()) {
                parameters.add(new WrapperParameter(argument.type().isPointer() ? WrapperParameter.Role.SHADOW
                        : WrapperParameter.Role.TANGENT, i, width > 1 ? NativeType.PTR : types.get(i)));
            }
        }
        parameters.add(new WrapperParameter(WrapperParameter.Role.OUT, -1, NativeType.PTR));
        if (returnType != null && primalReturn && returnActivity != Activity.DUPLICATED_NONEED) {
            slots.add(new OutputSlot(OutputSlot.Kind.PRIMAL, -1, returnType));
        }
        if (mode == Mode.REVERSE) {
            for (int i = 0; i < arguments.size(); i++) {
                if (arguments.get(i).activity() == Activity.ACTIVE) {
                    slots.add(new OutputSlot(OutputSlot.Kind.ADJOINT, i, types.get(i)));
                }
            }
        } else if (returnActivity.hasShadow()) {
            for (int lane = 0; lane < width; lane++) {
                slots.add(new OutputSlot(OutputSlot.Kind.DRETURN, lane, returnType));
            }
        }
        return new WrapperLayout(mode, width, arguments, returnActivity, parameters, slots);
    }

    /**
     * Forward mode over this reverse wrapper (which must not store the primal value): each differentiated primal
     * (Duplicated or Active) is Duplicated again, so is each shadow, so that the tangent of a shadow (a gradient)
     * is the second derivative along the primal's tangent; when Active scalars' adjoints go to {@code out}'s slots,
     * {@code out} is Duplicated too and its tangent receives their second derivatives. A scratch array stays scratch
     * (the forward wrapper gives it a tangent of its own). Everything else — status, lengths, Const parameters — is
     * Const.
     */
    WrapperLayout forwardOver() {
        if (slots.stream().anyMatch(slot -> slot.kind() != OutputSlot.Kind.ADJOINT)) {
            throw new IllegalStateException(Messages.WRAPPER_HAS_SLOTS.format(slots));
        }
        List<Argument> over = new ArrayList<>();
        List<NativeType> types = new ArrayList<>();
        for (WrapperParameter parameter : parameters) {
            types.add(parameter.type());
            over.add(switch (parameter.role()) {
                case OUT -> Argument.of(slots.isEmpty() ? Activity.CONST : Activity.DUPLICATED, ArgType.PTR_DOUBLE);
                case SHADOW, TANGENT -> Argument.of(Activity.DUPLICATED, arguments.get(parameter.argument()).type());
                case ARG -> {
                    Argument primal = arguments.get(parameter.argument());
                    // a scratch array of the gradient is written with values depending on the direction too
                    yield primal.scratch() ? primal : Argument.of(primal.activity() == Activity.CONST
                            ? Activity.CONST : Activity.DUPLICATED, primal.type());
                }
            });
        }
        return plan(Mode.FORWARD, 1, over, types, null, Activity.CONST, false);
    }

    /** Refuses a wrapper that the worker described differently: the frontend and the worker are out of step. */
    public void check(WrapperSignature actual) {
        if (!actual.parameters().equals(parameters) || !actual.slots().equals(slots)) {
            throw new BindingException(Messages.WRAPPER_MISMATCH.format(actual.symbol(), parametersText(parameters), slotsText(slots), parametersText(actual.parameters()), slotsText(actual.slots())), actual.symbol(), null);
        }
    }

    private static String parametersText(List<WrapperParameter> parameters) {
        return parameters.stream().map(p -> p.role().name().toLowerCase() + (p.argument() >= 0 ? p.argument() : "")
                + ":" + p.type().token()).collect(Collectors.joining(","));
    }

    private static String slotsText(List<OutputSlot> slots) {
        return slots.stream().map(s -> s.kind().name().toLowerCase() + (s.index() >= 0 ? s.index() : "") + ":"
                + s.type().token()).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return "(" + parametersText(parameters) + ") -> [" + slotsText(slots) + "]";
    }
}
