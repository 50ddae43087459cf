package jenzyme.kernel.api;

import jenzyme.kernel.JEnzymeKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * The notebook API for cells, imported statically at startup: {@code display(image)}, {@code display(html("<b>x</b>"))},
 * {@code markdown("# Title")} as a cell's last expression. Anything jjava's renderer knows renders richly
 * (a {@code BufferedImage} as image/png); other objects show as text.
 */
public final class Notebook {

    private Notebook() {
    }

    /** Shows {@code value} below the cell now (display_data), without waiting for the cell to end. */
    public static void display(Object value) {
        JEnzymeKernel.running().display(value);
    }

    /** An HTML bundle; shown when displayed or when it is a cell's value. */
    public static DisplayData html(String html) {
        DisplayData bundle = new DisplayData(html);
        bundle.putHTML(html);
        return bundle;
    }

    /** A Markdown bundle (with LaTeX math as Jupyter renders it). */
    public static DisplayData markdown(String markdown) {
        DisplayData bundle = new DisplayData(markdown);
        bundle.putMarkdown(markdown);
        return bundle;
    }

    /** Clears the cell's output so far; with {@code wait}, only once new output arrives (for animations). */
    public static void clearOutput(boolean wait) {
        JEnzymeKernel.running().clearOutput(wait);
    }
}
