package jenzyme.visualization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Display stage: a rendered figure, immutable. Produced by {@link FigureRenderer}; the kernel reads {@link #asMap()}
 * and {@link #metadata()}, users may save the images.
 */
public final class MimeBundle {

    private final String description;
    private final int width;
    private final int height;
    private final byte[] png;
    private final String svg;

    MimeBundle(String description, int width, int height, byte[] png, String svg) {
        this.description = description;
        this.width = width;
        this.height = height;
        this.png = png.clone();
        this.svg = svg;
    }

    public String description() {
        return description;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The PNG file's bytes (a copy). */
    public byte[] png() {
        return png.clone();
    }

    public String pngBase64() {
        return Base64.getEncoder().encodeToString(png);
    }

    /** The SVG document, when the figure asked for {@link ImageFormat#SVG}. */
    public Optional<String> svg() {
        return Optional.ofNullable(svg);
    }

    /** MIME type to payload as Jupyter wants it: SVG text (if any), base64 PNG, and a text/plain description. */
    public Map<String, Object> asMap() {
        Map<String, Object> data = new LinkedHashMap<>();
        if (svg != null) {
            data.put(ImageFormat.SVG.mimeType(), svg);
        }
        data.put(ImageFormat.PNG.mimeType(), pngBase64());
        data.put("text/plain", description);
        return Collections.unmodifiableMap(data);
    }

    /** Display metadata: the PNG's size, so that front ends reserve the right box before decoding. */
    public Map<String, Object> metadata() {
        return FigureRenderer.sizeMetadata(width, height);
    }

    public void savePng(Path file) {
        write(file, png);
    }

    public void saveSvg(Path file) {
        write(file, svg().orElseThrow(() -> new IllegalStateException(
                "no SVG was rendered for '" + description + "': build the figure with .svg(true)"))
                .getBytes(StandardCharsets.UTF_8));
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write figure to " + file, e);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
