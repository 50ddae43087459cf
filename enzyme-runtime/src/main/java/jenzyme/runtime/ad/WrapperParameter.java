package jenzyme.runtime.ad;

/**
 * One parameter of the C-ABI wrapper, in order. {@code ARG}: primal argument {@code argument} as the original
 * function takes it. {@code SHADOW}: the shadow pointer of pointer argument {@code argument}. {@code TANGENT}: the
 * tangent of floating scalar argument {@code argument} (forward mode). {@code OUT}: the output slots
 * ({@code argument} is -1). In vector mode shadows and tangents are pointers to {@code width} lanes.
 */
public record WrapperParameter(Role role, int argument, NativeType type) {

    public enum Role { ARG, SHADOW, TANGENT, OUT }
}
