package jenzyme.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import jenzyme.bench.Workload.CArgument;
import jenzyme.bench.Workload.LengthOf;
import jenzyme.bench.Workload.Param;
import jenzyme.runtime.Pipeline;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.bind.NativeBinder;
import jenzyme.runtime.jit.JitModule;
import jenzyme.runtime.worker.DifferentiationRequest;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.ad.WrapperParameter;
import jenzyme.runtime.ad.WrapperSignature;

/**
 * The "C+worker" column, the speed of light of our pipeline: the workload written in C, compiled by
 * {@code clang-19 -O2 -emit-llvm -c}, differentiated by the same Enzyme worker our Java frontend uses, JIT-compiled
 * in the same ORC JIT and called from this JVM through a critical FFM downcall on the same heap arrays. Only the
 * frontend differs from our own gradient: javac + bytecode lowering (bounds checks, status block) against clang.
 */
final class CReference {

    private final Path sources;
    private final Path bitcodeDir;

    CReference(Path sources, Path bitcodeDir) {
        this.sources = sources;
        this.bitcodeDir = bitcodeDir;
    }

    /** The gradient contender, and the module to release when the workload is done. */
    record Compiled(Contender contender, JitModule code) {}

    Compiled differentiate(Workload workload, GradientLayout layout, Pipeline pipeline) throws Throwable {
        Workload.CSource c = workload.c();
        byte[] bitcode = clang(c.file());
        List<Argument> arguments = c.arguments().stream().map(a -> workerArgument(a, workload, layout)).toList();
        // asked as our own gradients are, so that both columns get the worker's overwriting wrapper or neither does
        Pipeline.CompiledWrapper compiled = pipeline.differentiateBitcode("c." + c.function(),
                DifferentiationRequest.reverse(bitcode, c.function(), arguments, Activity.ACTIVE)
                        .withOptions(DifferentiationOptions.DEFAULT.withOverwrite(true)));
        JitModule code = compiled.code();
        try {
            return new Compiled(contender(workload, layout, compiled, code), code);
        } catch (Throwable e) {
            code.close();
            throw e;
        }
    }

    private Contender contender(Workload workload, GradientLayout layout, Pipeline.CompiledWrapper compiled,
                                JitModule code) throws Throwable {
        WrapperSignature wrapper = compiled.wrapper();
        List<OutputSlot> slots = wrapper.slots();
        if (slots.isEmpty() || slots.getFirst().kind() != OutputSlot.Kind.PRIMAL
                || slots.size() != 1 + layout.activeScalars().size()) {
            throw new IllegalStateException("expected the primal and " + layout.activeScalars().size()
                    + " adjoint slots, got " + slots);
        }
        MethodHandle raw = NativeBinder.bindWrapper(code.address(wrapper.symbol()), wrapper);
        Optional<MethodHandle> overwriting = compiled.overwriting()
                .map(written -> NativeBinder.bindWrapper(code.address(written.symbol()), written));
        Seat seat = new Seat(raw, overwriting, wrapper, workload, new Placement(Column.C_WORKER.ordinal()));
        seat.call();
        double[] out = seat.out;
        double[] gradient = layout.gather(seat.shadows, Arrays.copyOfRange(out, 1, out.length));
        return new Contender(Column.C_WORKER, Timer.local(seat::call), Evaluation.withGradient(out[0], gradient), 1.0,
                "", seat::reseat);
    }

    /** The arrays the C gradient runs on, bound into its handle, and moved by {@link #reseat} (see {@link Placement}). */
    private static final class Seat {
        private final MethodHandle raw;
        private final Optional<MethodHandle> overwriting;
        private final WrapperSignature wrapper;
        private final Workload workload;
        private final Placement placement;
        private final ShadowedCall shadowed = new ShadowedCall();
        private double[][] shadows;
        private double[] out;

        Seat(MethodHandle raw, Optional<MethodHandle> overwriting, WrapperSignature wrapper, Workload workload,
             Placement placement) {
            this.raw = raw;
            this.overwriting = overwriting;
            this.wrapper = wrapper;
            this.workload = workload;
            this.placement = placement;
            reseat();
        }

        void reseat() {
            List<CArgument> cArguments = workload.c().arguments();
            Object[] javaArguments = placement.arguments(workload);
            shadows = new double[javaArguments.length][];
            out = new double[wrapper.slots().size()];
            List<Object> values = new ArrayList<>();
            for (WrapperParameter parameter : wrapper.parameters()) {
                values.add(switch (parameter.role()) {
                    case ARG -> switch (cArguments.get(parameter.argument())) {
                        case Param(int p) when javaArguments[p] instanceof double[] array -> MemorySegment.ofArray(array);
                        case Param(int p) -> javaArguments[p];
                        case LengthOf(int p) -> ((double[]) javaArguments[p]).length;
                    };
                    case SHADOW -> {
                        int p = cArguments.get(parameter.argument()).parameter();
                        shadows[p] = placement.zeros(((double[]) javaArguments[p]).length);
                        yield MemorySegment.ofArray(shadows[p]);
                    }
                    case OUT -> MemorySegment.ofArray(out);
                    case TANGENT -> throw new IllegalStateException("unexpected tangent in a reverse wrapper");
                });
            }
            shadowed.bind(raw, overwriting, values, shadows);
        }

        void call() throws Throwable {
            shadowed.call();
        }
    }

    private static Argument workerArgument(CArgument argument, Workload workload, GradientLayout layout) {
        return switch (argument) {
            case LengthOf l -> Argument.of(Activity.CONST, ArgType.I32);
            case Param(int p) -> switch (workload.arguments().get(p)) {
                case double[] array -> Argument.of(layout.activity(p), ArgType.PTR_DOUBLE);
                case Double scalar -> Argument.of(layout.activity(p), ArgType.DOUBLE);
                default -> Argument.of(Activity.CONST, ArgType.I32);
            };
        };
    }

    /** {@code clang-19 -O2 -emit-llvm -c}, into the run's output directory. */
    private byte[] clang(String file) throws IOException, InterruptedException {
        Files.createDirectories(bitcodeDir);
        Path source = sources.resolve(file);
        Path bitcode = bitcodeDir.resolve(file.replace(".c", ".bc"));
        Process clang = new ProcessBuilder("clang-19", "-O2", "-emit-llvm", "-c", source.toString(), "-o",
                bitcode.toString()).redirectErrorStream(true).start();
        String output = new String(clang.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!clang.waitFor(60, TimeUnit.SECONDS) || clang.exitValue() != 0) {
            throw new IOException("clang-19 failed on " + source + ": " + output);
        }
        return Files.readAllBytes(bitcode);
    }
}
