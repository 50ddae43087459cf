/**
 * Pipeline stage 1: JVM bytecode → LLVM 19 IR. Entry point {@link jenzyme.runtime.lower.BytecodeLowering}, result
 * {@link jenzyme.runtime.lower.LoweredModule}; next stage the Enzyme worker client or {@code jenzyme.runtime.jit}.
 *
 * <h2>Supported subset</h2>
 * Static methods (including private ones and those of cell-defined classes) with parameters and locals of type
 * {@code boolean, int, long, float, double, double[], float[], int[], long[]} and those return types or void;
 * arithmetic with Java semantics (wrapping, masked shifts, saturating float→int, division by zero and
 * {@code MIN_VALUE / -1}), comparisons, casts, branches, loops, {@code ?:}, switch on int; {@code Math}/{@code
 * StrictMath} functions mapped to LLVM intrinsics or libm (see {@code MathCalls}), {@code Double/Float.isNaN,
 * isInfinite, isFinite}; array element access (bounds-checked), {@code arraylength}, {@code new T[n]} and
 * {@code new T[n][m]} (inside loops too, while each iteration's array stays in its iteration: {@code LoopAllocations});
 * {@code invokestatic} of any method whose class bytes the {@link jenzyme.runtime.lower.ClassBytesSource} has, recursion
 * included. Everything else is a {@link jenzyme.runtime.error.LoweringException} naming the construct and source line:
 * fields and notebook variables, objects, strings, null, reference comparisons, instance/virtual/interface calls,
 * string concatenation (but in a thrown message: {@code ThrowSites}), exceptions other than {@code throw new} of an
 * unchecked java.lang exception (rethrow, try/catch), synchronized, boolean/byte/char/short arrays,
 * arrays of objects or of three and more dimensions, assigning whole rows, returning arrays from callees. Lambdas
 * and method references are values ({@link jenzyme.runtime.lower.LambdaValues}), stream pipelines loops
 * ({@link jenzyme.runtime.lower.StreamPipelines}).
 *
 * <h2>Calling convention</h2>
 * {@code ret @jz_<method>_<hash>(ptr %status, params...)}: arrays as (data pointer, i32 length), booleans as
 * i8 0/1; the status pointer addresses a block of {@link jenzyme.runtime.lower.StatusCode#BLOCK_INTS} i32s written on
 * a Java exception. Only the entry is external. Loops poll the external i32
 * {@value jenzyme.runtime.lower.RuntimeSymbols#INTERRUPT_FLAG} with a volatile load at every loop header. Arrays from
 * {@code new} are malloc'ed, zeroed, and freed when the allocating call returns (normally or by an exception).
 */
package jenzyme.runtime.lower;
