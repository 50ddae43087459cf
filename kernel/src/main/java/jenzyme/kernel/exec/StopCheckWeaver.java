package jenzyme.kernel.exec;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Evaluation layer, between JShell's compiler and {@link SnippetClassLoader}: rewrites a snippet class so that every
 * method calls {@link StopSignal#check()} on entry and before every backward jump (each loop iteration). Thread.stop
 * is gone in JDK 25, so this is what makes a busy loop in a cell interruptible. It also turns the cell's own calls
 * of {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt} into an exception: a cell must not end the
 * kernel and the notebook's state with it. Only the loaded copy is rewritten; {@link SnippetClassStore} keeps
 * JShell's original bytes for the compiler frontend.
 *
 * <p>Inserting code moves offsets, so the class file API recomputes stack maps, which needs the supertypes of
 * snippet classes: the resolver passed in must know the classes of the batch being loaded and earlier snippets.
 */
final class StopCheckWeaver {

    private static final ClassDesc STOP_SIGNAL = ClassDesc.of(StopSignal.class.getName());
    private static final MethodTypeDesc EXIT_STATIC = MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int);
    private static final MethodTypeDesc EXIT_VIRTUAL = MethodTypeDesc.of(ConstantDescs.CD_void,
            ClassDesc.of(Runtime.class.getName()), ConstantDescs.CD_int);

    private final ClassFile classFile;

    StopCheckWeaver(ClassHierarchyResolver snippetHierarchy) {
        this.classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                snippetHierarchy.orElse(ClassHierarchyResolver.defaultResolver()).cached()));
    }

    byte[] instrument(byte[] classBytes) {
        return classFile.transformClass(classFile.parse(classBytes),
                ClassTransform.transformingMethodBodies(CodeTransform.ofStateful(BackwardJumpChecks::new)));
    }

    /** Per method: a label already bound when a jump to it is met marks a backward jump. */
    private static final class BackwardJumpChecks implements CodeTransform {

        private final Set<Label> boundLabels = new HashSet<>();

        @Override
        public void atStart(CodeBuilder code) {
            emitCheck(code);
        }

        @Override
        public void accept(CodeBuilder code, CodeElement element) {
            switch (element) {
                case LabelTarget target -> boundLabels.add(target.label());
                case BranchInstruction branch when boundLabels.contains(branch.target()) -> emitCheck(code);
                case TableSwitchInstruction table when jumpsBack(table.defaultTarget(), table.cases()) -> emitCheck(code);
                case LookupSwitchInstruction lookup when jumpsBack(lookup.defaultTarget(), lookup.cases()) -> emitCheck(code);
                case InvokeInstruction call when endsTheJvm(call) -> {
                    // Same stack effect: System.exit(int) pops an int, Runtime.exit/halt pop the Runtime and an int.
                    code.invokestatic(STOP_SIGNAL, "refuseExit", call.opcode() == Opcode.INVOKESTATIC
                            ? EXIT_STATIC : EXIT_VIRTUAL);
                    return;
                }
                default -> { }
            }
            code.with(element);
        }

        private static boolean endsTheJvm(InvokeInstruction call) {
            String owner = call.owner().asInternalName();
            String name = call.name().stringValue();
            return call.typeSymbol().equals(MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int))
                    && (owner.equals("java/lang/System") && name.equals("exit")
                        || owner.equals("java/lang/Runtime") && (name.equals("exit") || name.equals("halt")));
        }

        private boolean jumpsBack(Label defaultTarget, List<SwitchCase> cases) {
            return boundLabels.contains(defaultTarget) || cases.stream().anyMatch(c -> boundLabels.contains(c.target()));
        }

        private static void emitCheck(CodeBuilder code) {
            code.invokestatic(STOP_SIGNAL, "check", ConstantDescs.MTD_void);
        }
    }
}
