package jenzyme.runtime.worker;

/**
 * One parameter of the C-ABI wrapper, in order. {@code ARG}: primal argument {@code argument} as the original
 * function takes it. {@code SHADOW}: the shadow pointer of pointer argument {@code argument}. {@code TANGENT}: the
 * tangent of floating scalar argument {@code argument} (forward mode). {@code OUT}: the output slots
 * ({@code argument} is -1). In vector forward mode shadows and tangents are pointers to {@code width} lanes.
 */
public record WrapperParameter(Role role, int argument, NativeType type) {

    public enum Role { ARG, SHADOW, TANGENT, OUT }

    /** Parses {@code arg1:double}, {@code shadow2:ptr}, {@code tangent1:double} or {@code out:ptr}. */
    static WrapperParameter parse(String token) {
        int colon = token.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected <role><index>:<type>, got '" + token + "'");
        }
        String name = token.substring(0, colon);
        NativeType type = NativeType.parse(token.substring(colon + 1));
        if (name.equals("out")) {
            return new WrapperParameter(Role.OUT, -1, type);
        }
        for (Role role : new Role[] {Role.ARG, Role.SHADOW, Role.TANGENT}) {
            String prefix = role.name().toLowerCase();
            if (name.startsWith(prefix)) {
                return new WrapperParameter(role, index(name.substring(prefix.length()), token), type);
            }
        }
        throw new IllegalArgumentException("expected a wrapper parameter arg, shadow, tangent or out, got '" + token + "'");
    }

    static int index(String digits, String token) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an index in '" + token + "'", e);
        }
    }
}
