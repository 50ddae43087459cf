package jenzyme.runtime.lower;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import jenzyme.runtime.llvm.IrBuilder;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The static fields of one lowering run, passed to every lowered function of the module as hidden trailing
 * parameters (so a callee reads them like the entry does, and nothing caches a heap address across calls).
 *
 * <p>Which fields a module reads is known only once every method reachable from the entry — through whatever kind
 * of call — has been lowered, while function types must be fixed when a function is first declared. So
 * {@link BytecodeLowering} lowers with the fields it knows, and a read of a field not yet known is recorded
 * ({@link #discovered()}) and lowered as a placeholder; if any was, the module is lowered again with them (at most
 * once more per new field set; lowering takes milliseconds). A pre-scan of the callees would have to follow every
 * call kind the lowering learns, twice.
 */
final class StaticFields {

    private final List<StaticField> known;
    private final Set<StaticField> discovered = new LinkedHashSet<>();

    StaticFields(List<StaticField> known) {
        this.known = List.copyOf(known);
    }

    List<StaticField> known() {
        return known;
    }

    /** The fields read but not known: non-empty means this run's module is incomplete and must be lowered again. */
    Set<StaticField> discovered() {
        return discovered;
    }

    /** The known fields followed by the discovered ones: the field list of the next run. */
    List<StaticField> next() {
        List<StaticField> all = new ArrayList<>(known);
        all.addAll(discovered);
        return all;
    }

    /** The position of {@code field} among the hidden parameters, or -1 (then recorded as discovered). */
    int indexOf(StaticField field) {
        int index = known.indexOf(field);
        if (index < 0) {
            discovered.add(field);
        }
        return index;
    }

    /** Number of LLVM parameters the hidden fields add to every function. */
    int llvmCount() {
        return known.stream().mapToInt(f -> f.type().llvmTypes().size()).sum();
    }

    /** LLVM offset of field {@code index} within the hidden parameters. */
    int llvmOffset(int index) {
        int offset = 0;
        for (int i = 0; i < index; i++) {
            offset += known.get(i).type().llvmTypes().size();
        }
        return offset;
    }

    /**
     * The value of a {@code getstatic} in {@code function} (whose Java parameters take {@code javaLlvmCount} LLVM
     * parameters, status included): its hidden parameter, or a placeholder when the field is new to this run.
     */
    JValue read(IrModule module, LLVMValueRef function, int javaLlvmCount, StaticField field) {
        IrBuilder ir = module.ir();
        int index = indexOf(field);
        ValueKind kind = ValueKind.of(field.type());
        if (index < 0) {
            return field.type().isMatrix()
                    ? JValue.matrix(ir.zero(ir.ptr()), ir.zero(ir.i32()), ir.zero(ir.ptr()), field.type())
                    : kind == ValueKind.ARRAY ? JValue.array(ir.zero(ir.ptr()), ir.zero(ir.i32()), field.type())
                    : JValue.scalar(kind, ir.zero(module.type(kind)));
        }
        int at = javaLlvmCount + llvmOffset(index);
        if (field.type().isMatrix()) {
            return JValue.matrix(ir.param(function, at), ir.param(function, at + 2), ir.param(function, at + 1),
                    field.type());
        }
        return kind == ValueKind.ARRAY ? JValue.array(ir.param(function, at), ir.param(function, at + 1), field.type())
                : JValue.scalar(kind, ir.param(function, at));
    }

    /** Appends {@code function}'s hidden parameters to the arguments of a call it makes to a lowered method. */
    void passAlong(IrModule module, LLVMValueRef function, int javaLlvmCount, List<LLVMValueRef> arguments) {
        for (int i = 0; i < llvmCount(); i++) {
            arguments.add(module.ir().param(function, javaLlvmCount + i));
        }
    }
}
