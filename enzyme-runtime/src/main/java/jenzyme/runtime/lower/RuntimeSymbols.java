package jenzyme.runtime.lower;

/** Names of symbols lowered code expects the JIT to provide, beside libm and libc's malloc/free. */
public final class RuntimeSymbols {

    /**
     * The interrupt flag: an external {@code i32} global that compiled loops poll at every loop header. Its name
     * contains {@code enzyme_const} so Enzyme treats it as inactive without a shadow.
     */
    public static final String INTERRUPT_FLAG = "jenzyme_interrupt_enzyme_const";

    /**
     * {@code void jenzyme_rule_failed(ptr status)}: a rule's glue hands over the status block of a compiled rule
     * method that raised; the runtime (an upcall) keeps it for the binding to raise after the call.
     */
    public static final String RULE_FAILED = "jenzyme_rule_failed";

    /**
     * {@code void jenzyme.fail_unwind(ptr status)}: where a failure of a reverse-mode module goes (see
     * {@link UnwindingFailures}); defined by the JIT's runtime, named in {@code AllocationGuards} too.
     */
    public static final String FAIL_UNWIND = "jenzyme.fail_unwind";

    /** The weak pass-through of a rule's result in reverse mode (see {@code RuleCalls}), defined in each module. */
    public static final String RULE_VALUE = "jenzyme_rule_value";

    /**
     * {@code void jenzyme.free_inactive(ptr)}: free for memory that holds no derivative, defined weak in each module
     * of a forward-mode derivative that frees a matrix (see {@code IrModule#freeRowLengths}).
     */
    public static final String FREE_INACTIVE = "jenzyme.free_inactive";

    private static final String JVM_CALL_PREFIX = "jenzyme_jvm.";

    private RuntimeSymbols() {}

    /** {@code double <name>(double...)}: the upcall into the JVM method {@code method}. */
    public static String jvmCall(MethodRef method) {
        return JVM_CALL_PREFIX + SymbolNames.of(method);
    }
}
