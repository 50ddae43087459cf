package jenzyme.runtime.ad;

/** Enzyme's two modes: reverse (adjoints, gradients) and forward (tangents, optionally several lanes at once). */
public enum Mode {
    REVERSE("reverse"),
    FORWARD("forward");

    private final String token;

    Mode(String token) {
        this.token = token;
    }

    /** The worker protocol's spelling. */
    public String token() {
        return token;
    }
}
