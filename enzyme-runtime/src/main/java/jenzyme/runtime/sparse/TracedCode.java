package jenzyme.runtime.sparse;

import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.LabelTarget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A method's instructions as a list the tracer indexes by pc, with each branch label's index. */
final class TracedCode {

    final List<Instruction> instructions = new ArrayList<>();
    final int maxLocals;
    private final Map<Label, Integer> labels = new HashMap<>();

    TracedCode(CodeModel code) {
        this.maxLocals = ((CodeAttribute) code).maxLocals(); // a parsed method's code is its Code attribute
        for (CodeElement element : code) {
            if (element instanceof LabelTarget target) {
                labels.put(target.label(), instructions.size());
            } else if (element instanceof Instruction instruction) {
                instructions.add(instruction);
            } // line numbers, local variable names and stack maps do not execute
        }
    }

    int target(Label label) {
        return labels.get(label);
    }
}
