package jenzyme.runtime.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import jenzyme.runtime.ad.Activity;
import jenzyme.runtime.ad.ArgType;
import jenzyme.runtime.ad.Argument;
import jenzyme.runtime.ad.DifferentiationOptions;
import jenzyme.runtime.ad.Mode;
import org.junit.jupiter.api.Test;

class DifferentiationRequestTest {

    private static final List<Argument> ONE_ACTIVE = List.of(Argument.of(Activity.ACTIVE, ArgType.DOUBLE));

    @Test
    void isImmutable() {
        byte[] bitcode = {1, 2, 3};
        var arguments = new ArrayList<>(ONE_ACTIVE);
        var request = DifferentiationRequest.reverse(bitcode, "f", arguments, Activity.ACTIVE);
        bitcode[0] = 9;
        arguments.clear();
        request.bitcode()[1] = 9;
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(request.bitcode()[0], request.bitcode()[1], request.bitcode()[2]));
        assertEquals(ONE_ACTIVE, request.arguments());
        assertEquals(request, DifferentiationRequest.reverse(new byte[] {1, 2, 3}, "f", ONE_ACTIVE, Activity.ACTIVE));
    }

    @Test
    void namesWhatIsWrong() {
        var width = assertThrows(IllegalArgumentException.class, () -> new DifferentiationRequest(
                new byte[1], "f", Mode.REVERSE, 2, ONE_ACTIVE, Activity.ACTIVE, DifferentiationOptions.DEFAULT));
        assertEquals("expected width 1 in reverse mode with an active scalar or return (an adjoint per lane has no slot), got 2",
                width.getMessage());
        var lanes = assertThrows(IllegalArgumentException.class,
                () -> DifferentiationRequest.forward(new byte[1], "f", 0, ONE_ACTIVE, Activity.DUPLICATED));
        assertEquals("expected a forward width in 1..64, got 0", lanes.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> DifferentiationRequest.reverse(new byte[1], "", ONE_ACTIVE, Activity.ACTIVE));
    }

    @Test
    void describesItselfWithoutDumpingBitcode() {
        String text = DifferentiationRequest.reverse(new byte[5000], "loss", ONE_ACTIVE, Activity.ACTIVE).toString();
        assertTrue(text.contains("loss") && text.contains("[active:double] -> active") && text.contains("5000 bytes"), text);
        assertFalse(text.contains("[B@"), text);
    }
}
