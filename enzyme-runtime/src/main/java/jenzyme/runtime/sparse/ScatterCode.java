package jenzyme.runtime.sparse;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Scatter} compiled for one pattern: a hidden class whose code is the list of its entries,
 * {@code row = J[i]; row[0] = 0; row[1] = lanes[17]; row[2] = 0; ...}, with every index a constant. The loop over
 * index arrays ({@link Scatter.Loop}) loads two indices per entry and checks both, and zeroes each row with
 * {@code Arrays.fill}, a vectorised loop whose set-up dominates for short rows; rows of up to {@value #STORED_ZEROS}
 * columns are zeroed here by a store per entry (the 400 entries of a 20×20 matrix: 64 against 115 ns). Measured on
 * the 20×20 Lorenz-96 Jacobian, in one JVM (load 7–13), against the hand-written Jacobian's 262 ns: 443 ns with the
 * loop, 390 with this code and {@code Arrays.fill}, 300 with the stored zeros. The class is unloaded with the last
 * reference to its scatter.
 */
final class ScatterCode {

    /**
     * Entries above which the loop is used: straight-line code grows with the pattern (about 10 bytes of bytecode an
     * entry), and for large Jacobians zeroing the rows, not reading the lanes, takes the time.
     */
    static final int MAX_ENTRIES = 4096;
    /**
     * Bytecode per generated method: HotSpot never compiles a method over 8000 bytes (HugeMethodLimit), so the
     * entries are split over methods of at most this size, called one after the other.
     */
    private static final int PART_BYTES = 6000;
    /** Rows of at most this many columns are zeroed by one store per column (larger ones by Arrays.fill). */
    static final int STORED_ZEROS = 32;
    /**
     * The most bytecode one entry ({@code aload, sipush/ldc, aload, sipush/ldc, daload, dastore}), one stored zero
     * ({@code aload, sipush, dconst_0, dastore}) or the start of a row takes. A row of one sweep has at most 64
     * entries (a lane each, {@code CallingConvention.MAX_WIDTH}), so one row always fits a method.
     */
    private static final int ENTRY_BYTES = 10;
    private static final int ZERO_BYTES = 6;
    private static final int ROW_BYTES = 11;

    private static final ClassDesc SELF = ClassDesc.of(ScatterCode.class.getPackageName(), "ScatterCode$Pattern");
    private static final ClassDesc SCATTER = ClassDesc.of(Scatter.class.getName());
    private static final ClassDesc ARRAYS = ClassDesc.of("java.util.Arrays");
    private static final MethodTypeDesc WRITE = MethodTypeDesc.of(CD_void, CD_double.arrayType(2),
            CD_double.arrayType());
    private static final MethodTypeDesc FILL = MethodTypeDesc.of(CD_void, CD_double.arrayType(), CD_double);
    private static final MethodTypeDesc NO_ARGUMENTS = MethodTypeDesc.of(CD_void);

    private ScatterCode() {}

    /** The same writes as {@code loop}, as code of their own. */
    static Scatter generate(Scatter.Loop loop) {
        List<int[]> parts = parts(loop);
        byte[] bytes = ClassFile.of().build(SELF, type -> {
            type.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER).withInterfaceSymbols(SCATTER);
            type.withMethodBody("<init>", NO_ARGUMENTS, ClassFile.ACC_PUBLIC,
                    code -> code.aload(0).invokespecial(CD_Object, "<init>", NO_ARGUMENTS).return_());
            type.withMethodBody("write", WRITE, ClassFile.ACC_PUBLIC, code -> {
                for (int p = 0; p < parts.size(); p++) {
                    code.aload(1).aload(2).invokestatic(SELF, "part" + p, WRITE);
                }
                code.return_();
            });
            for (int p = 0; p < parts.size(); p++) {
                int[] rows = parts.get(p);
                type.withMethodBody("part" + p, WRITE, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC,
                        code -> rows(code, loop, rows[0], rows[1]));
            }
        });
        try {
            Class<?> pattern = MethodHandles.lookup().defineHiddenClass(bytes, true).lookupClass();
            return (Scatter) pattern.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e); // the class is built here: failing to load it is a bug of ours
        }
    }

    /** Rows {@code from .. to - 1} of the methods, each method's bytecode within {@link #PART_BYTES}. */
    private static List<int[]> parts(Scatter.Loop loop) {
        List<int[]> parts = new ArrayList<>();
        int m = loop.start().length - 1;
        int from = 0;
        int bytes = 0;
        for (int i = 0; i < m; i++) {
            int row = ROW_BYTES + ENTRY_BYTES * (loop.start()[i + 1] - loop.start()[i])
                    + (storesZeros(loop) ? ZERO_BYTES * loop.n() : 0);
            if (bytes + row > PART_BYTES && i > from) {
                parts.add(new int[] {from, i});
                from = i;
                bytes = 0;
            }
            bytes += row;
        }
        parts.add(new int[] {from, m});
        return parts;
    }

    /** (double[][] jacobian, double[] lanes) → rows {@code from .. to - 1} written; local 2 holds the row. */
    private static void rows(CodeBuilder code, Scatter.Loop loop, int from, int to) {
        for (int i = from; i < to; i++) {
            int start = loop.start()[i];
            int end = loop.start()[i + 1];
            if (start == end && !loop.zeroRows()) {
                continue;
            }
            code.aload(0).loadConstant(i).aaload().astore(2);
            if (storesZeros(loop)) {
                for (int j = 0, k = start; j < loop.n(); j++) {
                    if (k < end && loop.column()[k] == j) {
                        entry(code, loop, k++);
                    } else {
                        code.aload(2).loadConstant(j).dconst_0().dastore();
                    }
                }
                continue;
            }
            if (loop.zeroRows()) {
                code.aload(2).dconst_0().invokestatic(ARRAYS, "fill", FILL);
            }
            for (int k = start; k < end; k++) {
                entry(code, loop, k);
            }
        }
        code.return_();
    }

    private static boolean storesZeros(Scatter.Loop loop) {
        return loop.zeroRows() && loop.n() <= STORED_ZEROS;
    }

    /** {@code row[column[k]] = lanes[source[k]]}. */
    private static void entry(CodeBuilder code, Scatter.Loop loop, int k) {
        code.aload(2).loadConstant(loop.column()[k]).aload(1).loadConstant(loop.source()[k]).daload().dastore();
    }
}
