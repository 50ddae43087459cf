package jenzyme.visualization;

import java.util.Map;

/**
 * Display stage: a value that knows how to show itself in Jupyter. The kernel registers one renderer for this type
 * and copies {@link #mimeBundle()} into the {@code data} of a {@code display_data}/{@code execute_result} message and
 * {@link #mimeMetadata()} into its {@code metadata}; producers (figures here, {@code %gradcheck} results in the
 * magics) never see the kernel.
 */
public interface MimeRenderable {

    /**
     * MIME type to payload, richest representation first. Values are Strings (binary images base64-encoded, as the
     * Jupyter protocol wants them) and {@code text/plain} is always present.
     */
    Map<String, Object> mimeBundle();

    /** Per-MIME-type metadata (e.g. image width/height); empty when there is none. */
    default Map<String, Object> mimeMetadata() {
        return Map.of();
    }
}
