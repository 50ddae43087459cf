package jenzyme.runtime.worker;

import jenzyme.runtime.ad.WrapperParameter;
import jenzyme.runtime.ad.OutputSlot;
import jenzyme.runtime.ad.NativeType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import org.junit.jupiter.api.Test;

/** Encoding requests and decoding responses, without a worker process. */
class WorkerProtocolTest {

    private static final byte[] BITCODE = {'B', 'C', (byte) 0xc0, (byte) 0xde};

    @Test
    void encodesEveryRequestFieldAndTheBitcode() {
        var request = DifferentiationRequest.forward(BITCODE, "f", 4, List.of(
                        Argument.of(Activity.CONST, ArgType.PTR_I32),
                        Argument.of(Activity.DUPLICATED, ArgType.DOUBLE),
                        Argument.of(Activity.DUPLICATED_NONEED, ArgType.PTR_FLOAT)),
                Activity.DUPLICATED)
                .withOptions(DifferentiationOptions.DEFAULT.withPrimalReturn(false).withWrapperSymbol("df"));
        Frame frame = WorkerProtocol.encode(request);
        assertEquals(Map.ofEntries(Map.entry("request", "differentiate"), Map.entry("function", "f"),
                Map.entry("mode", "forward"), Map.entry("width", "4"),
                Map.entry("args", "const:i32*,dup:double,dupnoneed:float*"), Map.entry("return", "dup"),
                Map.entry("primal", "false"), Map.entry("ad_before_opt", "false"), Map.entry("dump_ir", "false"),
                Map.entry("fast_math", "false"), Map.entry("tape_math", "true"),
                Map.entry("runtime_activity", "false"), Map.entry("defer_failure_checks", "false")), withoutWrapper(frame));
        assertEquals("df", frame.field("wrapper").orElseThrow());
        assertArrayEquals(BITCODE, frame.section("bitcode").orElseThrow());
    }

    /** Each option's wither turns its own field of the request and no other (one copy serves them all). */
    @Test
    void eachOptionReachesItsOwnFieldAndNoOther() {
        Map<String, java.util.function.UnaryOperator<DifferentiationOptions>> turned = Map.of(
                "primal", o -> o.withPrimalReturn(false),
                "ad_before_opt", o -> o.withAdBeforeOptimisation(true),
                "dump_ir", o -> o.withDumpIr(true),
                "fast_math", o -> o.withFastMath(true),
                "tape_math", o -> o.withTapedMathResults(false),
                "runtime_activity", o -> o.withRuntimeActivity(true),
                "defer_failure_checks", o -> o.withDeferredFailureChecks(true),
                "overwrite", o -> o.withOverwrite(true));
        var request = DifferentiationRequest.reverse(BITCODE, "f",
                List.of(Argument.of(Activity.ACTIVE, ArgType.DOUBLE)), Activity.ACTIVE);
        Map<String, String> defaults = WorkerProtocol.encode(request).fields();
        turned.forEach((field, turn) -> {
            var expected = new java.util.HashMap<>(defaults);
            expected.put(field, Boolean.toString(!Boolean.parseBoolean(defaults.get(field))));
            assertEquals(expected, WorkerProtocol.encode(request.withOptions(turn.apply(DifferentiationOptions.DEFAULT)))
                    .fields(), field);
        });
    }

    private static Map<String, String> withoutWrapper(Frame frame) {
        var fields = new java.util.HashMap<>(frame.fields());
        fields.remove("wrapper");
        return fields;
    }

    @Test
    void decodesASuccessIntoTheModuleItsWrapperAndTimings() throws Exception {
        Frame response = Frame.empty().with("status", "ok").with("symbol", "f__jenzyme_reverse")
                .with("params", "arg0:ptr,arg1:double,arg2:ptr,shadow2:ptr,arg3:i32,out:ptr")
                .with("slots", "primal:double,adjoint1:double").with("width", "1")
                .with("time_us.parse", "1500").with("time_us.enzyme", "20")
                .withSection("bitcode", BITCODE).withSection("ir_before_enzyme", "define".getBytes());
        assertTrue(WorkerProtocol.succeeded(response));
        DifferentiatedModule module = WorkerProtocol.module(response, 1);
        assertArrayEquals(BITCODE, module.bitcode());
        assertEquals(new WrapperParameter(WrapperParameter.Role.SHADOW, 2, NativeType.PTR), module.wrapper().parameters().get(3));
        assertEquals(new WrapperParameter(WrapperParameter.Role.OUT, -1, NativeType.PTR), module.wrapper().parameters().getLast());
        assertEquals(List.of(new OutputSlot(OutputSlot.Kind.PRIMAL, -1, NativeType.DOUBLE),
                new OutputSlot(OutputSlot.Kind.ADJOINT, 1, NativeType.DOUBLE)), module.wrapper().slots());
        assertEquals(16, module.wrapper().outBytes());
        assertEquals(Duration.ofMillis(1).plusNanos(500_000), module.timings().get(Phase.PARSE));
        assertEquals(Duration.ofNanos(1_520_000), module.totalTime());
        assertEquals("define", module.irBeforeEnzyme().orElseThrow());
        assertTrue(module.irAfterEnzyme().isEmpty());
    }

    /** {@code overwrite} is new (PROTOCOL.md): sent only when asked, and only in reverse mode, where it means something. */
    @Test
    void asksForTheOverwritingWrapperOnlyInReverseMode() {
        var overwrite = DifferentiationOptions.DEFAULT.withOverwrite(true);
        var reverse = DifferentiationRequest.reverse(BITCODE, "f",
                List.of(Argument.of(Activity.DUPLICATED, ArgType.PTR_DOUBLE)), Activity.ACTIVE);
        var forward = DifferentiationRequest.forward(BITCODE, "f", 1,
                List.of(Argument.of(Activity.DUPLICATED, ArgType.PTR_DOUBLE)), Activity.DUPLICATED);
        assertEquals("true", WorkerProtocol.encode(reverse.withOptions(overwrite)).field("overwrite").orElseThrow());
        assertTrue(WorkerProtocol.encode(reverse).field("overwrite").isEmpty());
        assertTrue(WorkerProtocol.encode(forward.withOptions(overwrite)).field("overwrite").isEmpty());
    }

    @Test
    void readsTheOverwritingWrapperWithTheAccumulatingOnesSignature() throws Exception {
        Frame plain = Frame.empty().with("status", "ok").with("symbol", "f__jenzyme_reverse")
                .with("params", "arg0:ptr,shadow0:ptr,arg1:i32,out:ptr").with("slots", "primal:double")
                .with("width", "1").withSection("bitcode", BITCODE);
        assertTrue(WorkerProtocol.module(plain, 1).overwriting().isEmpty());
        var written = WorkerProtocol.module(plain.with("overwrite_symbol", "f__jenzyme_reverse_set"), 1).overwriting()
                .orElseThrow();
        var accumulating = WorkerProtocol.module(plain, 1).wrapper();
        assertEquals("f__jenzyme_reverse_set", written.symbol());
        assertEquals(accumulating.parameters(), written.parameters());
        assertEquals(accumulating.slots(), written.slots());
    }

    @Test
    void decodesARefusalWithPhaseAndMessage() throws Exception {
        Frame response = Frame.empty().with("status", "error").with("phase", "enzyme")
                .withSection("message", "No reverse pass found for g\n at context: call".getBytes(StandardCharsets.UTF_8));
        assertFalse(WorkerProtocol.succeeded(response));
        var refusal = WorkerProtocol.refusal(response, "f");
        assertEquals("enzyme", refusal.phase());
        assertEquals("No reverse pass found for g\n at context: call", refusal.workerMessage());
        assertTrue(refusal.getMessage().startsWith("cannot differentiate f (worker phase enzyme): No reverse pass"));
    }

    @Test
    void aResponseItCannotReadIsMalformed() {
        assertThrows(WorkerProtocol.MalformedResponse.class,
                () -> WorkerProtocol.succeeded(Frame.empty().with("status", "maybe")));
        Frame badSlot = Frame.empty().with("status", "ok").with("symbol", "s").with("params", "out:ptr")
                .with("slots", "sideways:double").withSection("bitcode", BITCODE);
        var malformed = assertThrows(WorkerProtocol.MalformedResponse.class, () -> WorkerProtocol.module(badSlot, 1));
        assertTrue(malformed.getMessage().contains("'sideways:double'"), malformed::getMessage);
        Frame noBitcode = Frame.empty().with("status", "ok").with("symbol", "s").with("params", "out:ptr").with("slots", "");
        assertThrows(WorkerProtocol.MalformedResponse.class, () -> WorkerProtocol.module(noBitcode, 1));
    }

    /**
     * A vector-mode wrapper's tokens read as a plain one's ({@code shadow1:ptr} either way), so the width is checked
     * apart: a reverse request of 8 lanes answered with a single-lane wrapper once wrote gradients over the lane table.
     */
    @Test
    void aWrapperOfAnotherWidthIsMalformed() throws Exception {
        Frame rows = Frame.empty().with("status", "ok").with("symbol", "f__jenzyme_reverse")
                .with("params", "arg0:ptr,arg1:ptr,shadow1:ptr,arg2:i32,out:ptr").with("slots", "")
                .withSection("bitcode", BITCODE);
        assertEquals(new WrapperParameter(WrapperParameter.Role.SHADOW, 1, NativeType.PTR),
                WorkerProtocol.module(rows.with("width", "8"), 8).wrapper().parameters().get(2));
        var other = assertThrows(WorkerProtocol.MalformedResponse.class,
                () -> WorkerProtocol.module(rows.with("width", "1"), 8));
        assertEquals("expected a wrapper of width 8, got width 1", other.getMessage());
        assertThrows(WorkerProtocol.MalformedResponse.class, () -> WorkerProtocol.module(rows, 1));
    }
}
