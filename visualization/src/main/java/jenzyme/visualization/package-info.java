/**
 * Display stage, figures: XChart plots of functions, their derivatives and optimisation/ODE histories, rendered
 * headless to Jupyter MIME bundles.
 *
 * <p>Neighbours: notebook cells and the magics build figures through {@link jenzyme.visualization.Plots}; the kernel
 * shows any {@link jenzyme.visualization.MimeRenderable} by copying its bundle into a {@code display_data} message.
 * This module stands alone (XChart only): it knows nothing of the kernel or of the Enzyme runtime, so functions
 * arrive as plain {@code java.util.function} interfaces whatever produced them.
 */
package jenzyme.visualization;
