package jenzyme.runtime.worker;

/**
 * One 8-byte slot of the wrapper's {@code out} buffer, in order. {@code PRIMAL}: the primal return value.
 * {@code ADJOINT}: reverse mode, d(return)/d(argument {@code index}) of an active scalar. {@code DRETURN}: forward
 * mode, lane {@code index} of the return's tangent. A {@code float}/{@code i32} value occupies the first 4 bytes of
 * its slot.
 */
public record OutputSlot(Kind kind, int index, NativeType type) {

    public enum Kind { PRIMAL, ADJOINT, DRETURN }

    /** Parses {@code primal:double}, {@code adjoint1:double} or {@code dreturn0:double}. */
    static OutputSlot parse(String token) {
        int colon = token.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected <slot>:<type>, got '" + token + "'");
        }
        String name = token.substring(0, colon);
        NativeType type = NativeType.parse(token.substring(colon + 1));
        if (name.equals("primal")) {
            return new OutputSlot(Kind.PRIMAL, -1, type);
        }
        for (Kind kind : new Kind[] {Kind.ADJOINT, Kind.DRETURN}) {
            String prefix = kind.name().toLowerCase();
            if (name.startsWith(prefix)) {
                return new OutputSlot(kind, WrapperParameter.index(name.substring(prefix.length()), token), type);
            }
        }
        throw new IllegalArgumentException("expected an output slot primal, adjoint<i> or dreturn<l>, got '" + token + "'");
    }
}
