package jenzyme.visualization;

/** Display stage: the image encodings a {@link Figure} can be rendered to, with their MIME types. */
public enum ImageFormat {
    PNG("image/png"),
    SVG("image/svg+xml");

    private final String mimeType;

    ImageFormat(String mimeType) {
        this.mimeType = mimeType;
    }

    public String mimeType() {
        return mimeType;
    }
}
