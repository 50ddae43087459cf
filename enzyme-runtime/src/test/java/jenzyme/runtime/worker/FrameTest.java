package jenzyme.runtime.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

class FrameTest {

    private static byte[] encode(Frame frame) throws IOException {
        var bytes = new ByteArrayOutputStream();
        frame.writeTo(bytes);
        return bytes.toByteArray();
    }

    @Test
    void roundTripsFieldsAndSections() throws IOException {
        Frame frame = Frame.empty().with("request", "differentiate").with("args", "const:i32*,active:double")
                .withSection("bitcode", new byte[] {0x42, 0x43, 0, (byte) 0xff}).withSection("empty", new byte[0]);
        var input = new ByteArrayInputStream(encode(frame));
        Frame back = Frame.readFrom(input);
        assertEquals(frame.fields(), back.fields());
        assertArrayEquals(new byte[] {0x42, 0x43, 0, (byte) 0xff}, back.section("bitcode").orElseThrow());
        assertEquals(0, back.section("empty").orElseThrow().length);
        assertThrows(EOFException.class, () -> Frame.readFrom(input), "a clean end between frames");
    }

    @Test
    void theWireFormatIsTheDocumentedOne() throws IOException {
        byte[] bytes = encode(Frame.empty().with("status", "ok").withSection("bitcode", new byte[] {7, 8, 9}));
        String header = "status=ok\nsection=bitcode:3\n";
        assertEquals("JZW1", new String(bytes, 0, 4));
        assertEquals(header.length(), java.nio.ByteBuffer.wrap(bytes, 4, 4).getInt());
        assertEquals(3, java.nio.ByteBuffer.wrap(bytes, 8, 4).getInt());
        assertEquals(header, new String(bytes, 12, header.length()));
        assertArrayEquals(new byte[] {7, 8, 9}, Arrays.copyOfRange(bytes, 12 + header.length(), bytes.length));
    }

    @Test
    void garbageAndTornFramesAreNotMistakenForAnEnd() throws IOException {
        var garbage = assertThrows(IOException.class,
                () -> Frame.readFrom(new ByteArrayInputStream("hello, not a frame".getBytes())));
        assertFalse(garbage instanceof EOFException);
        assertTrue(garbage.getMessage().contains("JZW1"), garbage::getMessage);

        byte[] whole = encode(Frame.empty().withSection("bitcode", new byte[100]));
        var torn = assertThrows(IOException.class,
                () -> Frame.readFrom(new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 10))));
        assertFalse(torn instanceof EOFException);
        assertTrue(torn.getMessage().contains("bitcode"), torn::getMessage);
    }

    @Test
    void refusesUnencodableFields() {
        assertThrows(IllegalArgumentException.class, () -> Frame.empty().with("section", "x:1"));
        assertThrows(IllegalArgumentException.class, () -> Frame.empty().with("function", "two\nlines"));
    }
}
