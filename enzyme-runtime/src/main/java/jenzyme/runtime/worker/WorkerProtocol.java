package jenzyme.runtime.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.Mode;
import jenzyme.runtime.ad.WrapperSignature;
import jenzyme.runtime.error.DifferentiationException;

/**
 * What the frames mean (enzyme-runtime/worker/PROTOCOL.md): a {@link DifferentiationRequest} as header fields plus
 * a {@code bitcode} section; a response as a {@link DifferentiatedModule} or a {@link DifferentiationException}.
 * Pure functions; the process and its failures are {@link WorkerClient}'s.
 */
final class WorkerProtocol {

    private WorkerProtocol() {}

    static Frame encode(DifferentiationRequest request) {
        var options = request.options();
        Frame frame = Frame.empty()
                .with("request", "differentiate")
                .with("function", request.function())
                .with("mode", request.mode().token())
                .with("width", Integer.toString(request.width()))
                .with("args", request.arguments().stream().map(Argument::token).collect(Collectors.joining(",")))
                .with("return", request.returnActivity().token())
                .with("primal", Boolean.toString(options.primalReturn()))
                .with("ad_before_opt", Boolean.toString(options.adBeforeOptimisation()))
                .with("dump_ir", Boolean.toString(options.dumpIr()))
                .with("fast_math", Boolean.toString(options.fastMath()))
                .with("tape_math", Boolean.toString(options.tapeMathResults()))
                .with("runtime_activity", Boolean.toString(options.runtimeActivity()))
                .with("defer_failure_checks", Boolean.toString(options.deferFailureChecks()));
        if (options.overwrite() && request.mode() == Mode.REVERSE) {
            frame = frame.with("overwrite", "true"); // sent only when asked: the field is new (PROTOCOL.md)
        }
        if (options.deferPostOptimisation()) {
            frame = frame.with("defer_post_opt", "true");
        }
        if (options.wrapperSymbol().isPresent()) {
            frame = frame.with("wrapper", options.wrapperSymbol().get());
        }
        return frame.withSection("bitcode", request.bitcodeView());
    }

    static Frame ping() {
        return Frame.empty().with("request", "ping");
    }

    static Frame debugAbort() {
        return Frame.empty().with("request", "debug-abort");
    }

    static Frame debugSleep(Duration duration) {
        return Frame.empty().with("request", "debug-sleep").with("millis", Long.toString(duration.toMillis()));
    }

    /** True for {@code status=ok}; false for {@code status=error}; anything else breaks the protocol. */
    static boolean succeeded(Frame response) throws MalformedResponse {
        return switch (response.field("status").orElse("")) {
            case "ok" -> true;
            case "error" -> false;
            case String other -> throw new MalformedResponse("expected status ok or error, got '" + other + "'");
        };
    }

    /** The worker's refusal of a request for {@code function}. */
    static DifferentiationException refusal(Frame response, String function) {
        String message = response.section("message")
                .map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .orElse("(the worker sent no message)");
        return new DifferentiationException(function, response.field("phase").orElse("unknown"), message);
    }

    /**
     * The module of a successful response to a request of {@code width} lanes. The width is checked apart: a wrapper's
     * parameter and slot tokens read the same for a vector-mode pointer shadow (a table of lane pointers) and for a
     * plain one, and a single-lane reverse wrapper bound as a vector one wrote its gradient over the lane table.
     */
    static DifferentiatedModule module(Frame response, int width) throws MalformedResponse {
        try {
            var wrapper = WrapperTokens.signature(
                    required(response, "symbol"), required(response, "params"), required(response, "slots"));
            Map<Phase, Duration> timings = new EnumMap<>(Phase.class);
            for (var field : response.fields().entrySet()) {
                if (field.getKey().startsWith("time_us.")) {
                    String token = field.getKey().substring("time_us.".length());
                    Phase phase = Phase.fromToken(token)
                            .orElseThrow(() -> new MalformedResponse("unknown phase in " + field.getKey()));
                    timings.put(phase, Duration.ofNanos(Long.parseLong(field.getValue()) * 1000));
                }
            }
            byte[] bitcode = response.section("bitcode")
                    .orElseThrow(() -> new MalformedResponse("expected a bitcode section in a successful response"));
            String lanes = required(response, "width");
            if (!lanes.equals(Integer.toString(width))) {
                throw new MalformedResponse("expected a wrapper of width " + width + ", got width " + lanes);
            }
            // the overwriting wrapper has the accumulating one's parameters and slots (PROTOCOL.md)
            Optional<WrapperSignature> overwriting = response.field("overwrite_symbol")
                    .map(symbol -> new WrapperSignature(symbol, wrapper.parameters(), wrapper.slots()));
            return new DifferentiatedModule(bitcode, wrapper, overwriting, response.field("parts_symbol"), timings,
                    response.field("post_opt"), text(response, "ir_before_enzyme"), text(response, "ir_after_enzyme"));
        } catch (IllegalArgumentException e) {
            throw new MalformedResponse(e.getMessage());
        }
    }

    static String version(Frame pong) throws MalformedResponse {
        return required(pong, "worker");
    }

    private static String required(Frame response, String key) throws MalformedResponse {
        return response.field(key).orElseThrow(() -> new MalformedResponse("expected a '" + key + "' field"));
    }

    private static Optional<String> text(Frame response, String section) {
        return response.section(section).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** A response that is a frame but not one this client understands. */
    static final class MalformedResponse extends Exception {
        MalformedResponse(String message) {
            super(message);
        }
    }
}
