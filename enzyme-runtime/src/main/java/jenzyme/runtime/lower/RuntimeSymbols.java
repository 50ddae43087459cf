package jenzyme.runtime.lower;

/** Names of symbols lowered code expects the JIT to provide, beside libm and libc's malloc/free. */
public final class RuntimeSymbols {

    /**
     * The interrupt flag: an external {@code i32} global that compiled loops poll at every loop header. Its name
     * contains {@code enzyme_const} so Enzyme treats it as inactive without a shadow.
     */
    public static final String INTERRUPT_FLAG = "jenzyme_interrupt_enzyme_const";

    private RuntimeSymbols() {}
}
