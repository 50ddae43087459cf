package jenzyme.runtime.worker;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import jenzyme.runtime.error.Messages;

/**
 * The worker's wire format (enzyme-runtime/worker/PROTOCOL.md): magic {@code JZW1}, big-endian header and body
 * lengths, a UTF-8 header of {@code key=value} lines, then raw byte sections declared in the header as
 * {@code section=<name>:<length>}. Knows nothing of what the keys mean ({@link WorkerProtocol} does).
 */
final class Frame {

    private static final byte[] MAGIC = "JZW1".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEADER = 1 << 20;
    private static final int MAX_BODY = 1 << 30;

    private final SequencedMap<String, String> fields;
    private final SequencedMap<String, byte[]> sections;

    private Frame(SequencedMap<String, String> fields, SequencedMap<String, byte[]> sections) {
        this.fields = fields;
        this.sections = sections;
    }

    static Frame empty() {
        return new Frame(new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    /** A copy with one more header field (fields are unique; {@code section} is reserved for the codec). */
    Frame with(String key, String value) {
        if (key.equals("section") || key.contains("=") || key.contains("\n") || value.contains("\n")) {
            throw new IllegalArgumentException(Messages.FRAME_UNENCODABLE_FIELD.format(key, value));
        }
        var copy = new LinkedHashMap<>(fields);
        copy.put(key, value);
        return new Frame(copy, sections);
    }

    Frame withSection(String name, byte[] bytes) {
        var copy = new LinkedHashMap<>(sections);
        copy.put(name, bytes);
        return new Frame(fields, copy);
    }

    Optional<String> field(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    Optional<byte[]> section(String name) {
        return Optional.ofNullable(sections.get(name));
    }

    Map<String, String> fields() {
        return java.util.Collections.unmodifiableMap(fields);
    }

    void writeTo(OutputStream out) throws IOException {
        var header = new StringBuilder();
        fields.forEach((key, value) -> header.append(key).append('=').append(value).append('\n'));
        long bodyLength = 0;
        for (var section : sections.entrySet()) {
            header.append("section=").append(section.getKey()).append(':').append(section.getValue().length).append('\n');
            bodyLength += section.getValue().length;
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        if (bodyLength > MAX_BODY) {
            throw new IOException(Messages.FRAME_BODY_TOO_LARGE.format(bodyLength));
        }
        var prefix = ByteBuffer.allocate(12).put(MAGIC).putInt(headerBytes.length).putInt((int) bodyLength);
        var bytes = new ByteArrayOutputStream(12 + headerBytes.length + (int) bodyLength);
        bytes.write(prefix.array());
        bytes.write(headerBytes);
        for (byte[] section : sections.values()) {
            bytes.write(section);
        }
        bytes.writeTo(out);
        out.flush();
    }

    /**
     * Reads one frame.
     *
     * @throws EOFException if the stream ended cleanly before a frame (the worker exited)
     * @throws IOException  if the stream is not a frame or ended inside one
     */
    static Frame readFrom(InputStream stream) throws IOException {
        var in = new DataInputStream(stream);
        byte[] prefix = new byte[12];
        int first = in.read(prefix, 0, 1);
        if (first < 0) {
            throw new EOFException(Messages.WORKER_OUTPUT_ENDED.format());
        }
        readFully(in, prefix, 1, 11, "frame prefix");
        if (!Arrays.equals(prefix, 0, 4, MAGIC, 0, 4)) {
            throw new IOException(Messages.FRAME_PREFIX.format(
                    new String(prefix, StandardCharsets.ISO_8859_1).replaceAll("\\p{Cntrl}", "?")));
        }
        var lengths = ByteBuffer.wrap(prefix, 4, 8);
        int headerLength = lengths.getInt();
        int bodyLength = lengths.getInt();
        if (headerLength < 0 || headerLength > MAX_HEADER || bodyLength < 0 || bodyLength > MAX_BODY) {
            throw new IOException(Messages.FRAME_TOO_LARGE.format(headerLength, bodyLength));
        }
        byte[] header = new byte[headerLength];
        readFully(in, header, 0, headerLength, "header");
        var fields = new LinkedHashMap<String, String>();
        var declared = new ArrayList<Map.Entry<String, Integer>>();
        for (String line : new String(header, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IOException(Messages.FRAME_HEADER_LINE.format(line));
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (key.equals("section")) {
                declared.add(sectionDeclaration(value));
            } else {
                fields.put(key, value);
            }
        }
        long total = declared.stream().mapToLong(Map.Entry::getValue).sum();
        if (total != bodyLength) {
            throw new IOException(Messages.FRAME_SECTIONS_MISMATCH.format(total, bodyLength));
        }
        var sections = new LinkedHashMap<String, byte[]>();
        for (var entry : declared) {
            byte[] bytes = new byte[entry.getValue()];
            readFully(in, bytes, 0, bytes.length, entry.getKey());
            sections.put(entry.getKey(), bytes);
        }
        return new Frame(fields, sections);
    }

    private static Map.Entry<String, Integer> sectionDeclaration(String value) throws IOException {
        int colon = value.lastIndexOf(':');
        try {
            return Map.entry(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            throw new IOException(Messages.FRAME_SECTION_FIELD.format(value), e);
        }
    }

    private static void readFully(DataInputStream in, byte[] into, int offset, int length, String what)
            throws IOException {
        try {
            in.readFully(into, offset, length);
        } catch (EOFException e) {
            throw new IOException(Messages.WORKER_OUTPUT_ENDED_INSIDE.format(what), e);
        }
    }
}
