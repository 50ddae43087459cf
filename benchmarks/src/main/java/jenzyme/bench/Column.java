package jenzyme.bench;

/**
 * The table's columns, in print order: every implementation of a workload that is timed. Each is reported as its
 * time divided by {@link #REVERSE}'s, measured in the same rounds.
 */
public enum Column {
    JVM_PRIMAL("JVM primal", "HotSpot, warmed up", true),
    JIT_PRIMAL("JIT primal", "our native primal (%jit)", false),
    FAST_JIT_PRIMAL("JIT fast", "our native primal with --fast-math (%jit f --fast-math)", false),
    REVERSE("grad rev", "our reverse gradient (%autodiff reverse, called as f_grad_set) = 1", false),
    FAST_REVERSE("grad fast", "our reverse gradient with --fast-math", false),
    FORWARD("grad fwd", "our gradient by forward sweeps, one per input", false),
    FINITE_DIFFERENCES("FD (JVM)", "central differences on the JVM, 2 evaluations per input", true),
    HIPPARCHUS("Hipparchus", "the same Java written with Hipparchus Gradient (dense forward AD on the JVM)", true),
    HIPPARCHUS_SPARSE("Hip.sparse", "Hipparchus SparseGradient, where each term touches few inputs", true),
    C_WORKER("C+worker", "the C function (clang-19 -O2) differentiated by our worker, called as grad rev is", false),
    JAX("JAX", "jit(grad(f)) on CPU, own process (the gradient only, not the value; its threads: below)", false),
    JAX_VALUE_AND_GRAD("JAX v+g", "jit(value_and_grad(f)): value and gradient, the work of one of our gradient calls",
            false),
    AD_BEFORE_OPT("AD pre-opt", "our gradient with AD before optimisation", false);

    private final String header;
    private final String meaning;
    private final boolean hotspot;

    Column(String header, String meaning, boolean hotspot) {
        this.header = header;
        this.meaning = meaning;
        this.hotspot = hotspot;
    }

    public String header() {
        return header;
    }

    public String meaning() {
        return meaning;
    }

    /** Whether the timed code is Java run by HotSpot, which needs a long warm-up before it is compiled by C2. */
    public boolean hotspot() {
        return hotspot;
    }
}
