package jenzyme.runtime.lower;

import java.lang.classfile.CodeElement;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jenzyme.runtime.error.LoweringException;

/**
 * Before compiling: every construct of a method, and of the methods it calls, that the compiler would refuse, each
 * with its class, method and source line — where the lowering stops at the first. The rules are the lowering's own:
 * single instructions through {@link SubsetRules}, signatures and method flags through {@link MethodSignature} and
 * {@link LoweredFunctions#checkCompilable}, and finally the lowering itself, which names anything the scan cannot
 * see ({@code Math.random()}, an array kept beyond its loop iteration) if it is the first thing it meets.
 */
public final class SubsetExplainer {

    /** One construct outside the subset; {@code sourceLine} is -1 for the method as a whole (its signature). */
    public record Problem(String className, String methodName, int sourceLine, String construct) {
    }

    private final ClassBytesSource source;

    public SubsetExplainer(ClassBytesSource source) {
        this.source = source;
    }

    /** The problems of {@code owner.name descriptor} and its callees, the method's own first; empty if it compiles. */
    public List<Problem> explain(String ownerInternalName, String name, String descriptor) {
        List<Problem> problems = new ArrayList<>();
        walk(ownerInternalName, name, descriptor, problems);
        try {
            BytecodeLowering lowering = new BytecodeLowering(source);
            if (lowering.unspecialisedEntry(ownerInternalName, name, descriptor).declared().stream()
                    .anyMatch(p -> p.shape() instanceof RecordShape shape && shape.isFunctional())) {
                return problems; // compiled per lambda at each call: there is no lambda to lower it with here
            }
            lowering.lower(ownerInternalName, name, descriptor);
        } catch (LoweringException lowering) {
            String owner = lowering.className().orElse(ownerInternalName);
            String method = lowering.methodName().orElse(name);
            int line = lowering.sourceLine() > 0 ? lowering.sourceLine() : -1;
            if (problems.stream().noneMatch(p -> p.className().equals(owner) && p.methodName().equals(method)
                    && p.sourceLine() == line)) {
                problems.add(new Problem(owner, method, line, construct(lowering.problem())));
            }
        }
        return problems;
    }

    /**
     * The notebook methods {@code owner.name descriptor} reaches through calls and the lambdas it creates
     * ({@code MethodRef} texts, as {@code LoweredModule.loweredMethods()}): what a binding compiled later for a
     * lambda parameter depends on, found before any lambda is known.
     */
    public List<String> reachable(String ownerInternalName, String name, String descriptor) {
        return walk(ownerInternalName, name, descriptor, new ArrayList<>()).stream().map(MethodRef::toString).sorted()
                .toList();
    }

    private Set<MethodRef> walk(String ownerInternalName, String name, String descriptor, List<Problem> problems) {
        ClassLibrary classes = new ClassLibrary(source);
        Deque<MethodRef> pending = new ArrayDeque<>(List.of(new MethodRef(ownerInternalName, name, descriptor)));
        Set<MethodRef> seen = new HashSet<>(pending);
        while (!pending.isEmpty()) {
            MethodRef ref = pending.poll();
            MethodModel model;
            try {
                model = classes.method(ref);
            } catch (Unsupported unsupported) {
                problems.add(new Problem(ref.owner(), ref.name(), -1, construct(unsupported.problem())));
                continue;
            }
            try {
                LoweredFunctions.checkCompilable(ref, model, classes);
                MethodSignature.of(ref, model, classes);
            } catch (Unsupported unsupported) {
                problems.add(new Problem(ref.owner(), ref.name(), -1, construct(unsupported.problem())));
            }
            // the body too, even after a refused signature: --explain promises every construct at once
            try {
                model.code().ifPresent(code -> scan(ref, (CodeAttribute) code, classes, problems, pending, seen));
            } catch (Unsupported unsupported) {
                problems.add(new Problem(ref.owner(), ref.name(), -1, construct(unsupported.problem())));
            }
        }
        return seen;
    }

    private static void scan(MethodRef ref, CodeAttribute code, ClassLibrary classes, List<Problem> problems,
                             Deque<MethodRef> pending, Set<MethodRef> seen) {
        CodePlan plan = CodePlan.of(code);
        ThrowSites throwSites = ThrowSites.of(code);
        // A try/catch or synchronized block's handler line says it all: its other instructions repeat it.
        Set<Integer> handlerLines = new HashSet<>();
        plan.exceptionHandlerConstruct().ifPresent(construct -> {
            handlerLines.add(plan.line(construct.getValue()));
            problems.add(new Problem(ref.owner(), ref.name(), plan.line(construct.getValue()),
                    construct.getKey().format()));
        });
        Set<Problem> reported = new HashSet<>();
        Set<Integer> refusedNew = new HashSet<>();
        int bci = 0;
        for (CodeElement element : code) {
            if (element instanceof Instruction instruction) {
                int line = plan.line(bci);
                if (throwSites.covers(bci)) {
                    throwSites.refusalAt(bci).map(refusal -> new Problem(ref.owner(), ref.name(), line, refusal))
                            .filter(reported::add).ifPresent(problems::add);
                    bci += instruction.sizeInBytes();
                    continue;
                }
                // Every construct of a line, each once; "new Foo()" is also a call of Foo.<init>, which says
                // nothing new.
                boolean constructorOfRefusedNew = instruction instanceof InvokeInstruction call
                        && call.name().equalsString("<init>") && refusedNew.contains(line);
                SubsetRules.refusal(instruction, classes)
                        .filter(c -> !handlerLines.contains(line) && !constructorOfRefusedNew)
                        .map(c -> new Problem(ref.owner(), ref.name(), line, c))
                        .filter(reported::add)
                        .ifPresent(problem -> {
                            problems.add(problem);
                            if (instruction instanceof NewObjectInstruction) {
                                refusedNew.add(line);
                            }
                        });
                if (instruction instanceof java.lang.classfile.instruction.InvokeDynamicInstruction dynamic) {
                    // A lambda's body is compiled with the method that creates it.
                    LambdaTarget.of(dynamic).map(LambdaTarget::impl).filter(impl -> classes.has(impl.owner())
                            && !MathCalls.handles(impl.owner()) && seen.add(impl)).ifPresent(pending::add);
                }
                if (instruction instanceof InvokeInstruction invoke && (invoke.opcode() == Opcode.INVOKESTATIC
                        || classes.isValueClass(invoke.owner().asInternalName()))
                        && !MathCalls.handles(invoke.owner().asInternalName())
                        && !StreamPipelines.handles(invoke.owner().asInternalName(), invoke.name().stringValue())
                        && classes.has(invoke.owner().asInternalName())) {
                    MethodRef callee = new MethodRef(invoke.owner().asInternalName(), invoke.name().stringValue(),
                            invoke.type().stringValue());
                    if (seen.add(callee)) {
                        pending.add(callee);
                    }
                }
                bci += instruction.sizeInBytes();
            }
        }
    }

    /** The construct as a reader says it: without the lowering's "unsupported: " prefix. */
    private static String construct(String problem) {
        return problem.startsWith("unsupported: ") ? problem.substring("unsupported: ".length()) : problem;
    }
}
