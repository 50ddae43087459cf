package jenzyme.runtime.ad;

/**
 * Enzyme's activities as the seeds name them. {@code ACTIVE}: a floating scalar whose adjoint is returned (reverse
 * mode). {@code DUPLICATED}: a shadow travels beside the primal (a pointer's gradient/tangent array, or a
 * scalar's tangent in forward mode). {@code DUPLICATED_NONEED}: the same, but the primal result is not needed.
 */
public enum Activity {
    CONST("const"),
    ACTIVE("active"),
    DUPLICATED("dup"),
    DUPLICATED_NONEED("dupnoneed");

    private final String token;

    Activity(String token) {
        this.token = token;
    }

    /** The worker protocol's spelling. */
    public String token() {
        return token;
    }

    public boolean hasShadow() {
        return this == DUPLICATED || this == DUPLICATED_NONEED;
    }
}
