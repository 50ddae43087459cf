/**
 * Display stage, gradient checks: compares a gradient (from {@code %autodiff}, or any Java function) with central
 * finite differences at given or random points and renders the verdict as an HTML table.
 *
 * <p>Neighbours: the {@code %gradcheck} magic and notebook cells call {@link jenzyme.magics.gradcheck.GradCheck};
 * the kernel displays the resulting {@link jenzyme.magics.gradcheck.GradCheckResult} through its
 * {@link jenzyme.visualization.MimeRenderable} bundle. Pure Java: nothing here needs the compiler, so a gradient
 * written by hand is checked exactly like a generated one.
 */
package jenzyme.magics.gradcheck;
