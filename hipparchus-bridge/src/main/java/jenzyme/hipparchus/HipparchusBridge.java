package jenzyme.hipparchus;

import java.util.List;
import java.util.function.Function;
import jenzyme.runtime.error.Messages;
import org.hipparchus.analysis.MultivariateFunction;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.ArrayRealVector;
import org.hipparchus.ode.ODEJacobiansProvider;
import org.hipparchus.ode.OrdinaryDifferentialEquation;
import org.hipparchus.optim.OptimizationData;
import org.hipparchus.optim.SimplePointChecker;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunctionGradient;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresBuilder;
import org.hipparchus.optim.nonlinear.vector.leastsquares.LeastSquaresFactory;
import org.hipparchus.optim.nonlinear.vector.leastsquares.MultivariateJacobianFunction;
import org.hipparchus.util.Pair;

/**
 * Compiled derivatives as the types Hipparchus asks its users for, so that nobody writes a Jacobian by hand or falls
 * back to finite differences. Each factory takes the derivative as a lambda over a binding: in a notebook the
 * generated methods ({@code f_grad_set}, {@code r_jac}, ...), in a program {@link jenzyme.runtime.api.Gradient} or
 * {@link jenzyme.runtime.Jacobian} from {@link jenzyme.runtime.api.JEnzyme}.
 *
 * <pre>{@code
 * // %autodiff reverse rosen            → non-linear conjugate gradients
 * var rosen = HipparchusBridge.objective((x, g) -> rosen_grad_set(x, g));
 * new NonLinearConjugateGradientOptimizer(...).optimize(rosen.with(GoalType.MINIMIZE, new InitialGuess(x0), new MaxEval(5000)));
 *
 * // %autodiff jacobian residuals       → Levenberg–Marquardt or Gauss–Newton
 * var problem = HipparchusBridge.leastSquares(q -> residuals(q, t, y), q -> residuals_jac(q, t, y), start).build();
 * new LevenbergMarquardtOptimizer().optimize(problem);
 *
 * // %autodiff jacobian rhs --wrt y; %autodiff jacobian rhs --wrt p --name rhsP → VariationalEquation
 * ODEJacobiansProvider ode = HipparchusBridge.ode(2, (t, y) -> rhs(t, y, p), (t, y) -> rhs_jac(t, y, p),
 *         (t, y) -> rhsP_jac(t, y, p), "alpha", "beta");
 * }</pre>
 *
 * <p>Values come from whatever the lambdas call (the JVM's own method, or the value the derivative computes along);
 * arrays returned by the lambdas are handed to Hipparchus without copying, so they must be fresh (the generated
 * {@code _jac} and {@code _grad} methods allocate theirs). Shapes are checked at every call: a lambda returning an
 * array of the wrong size raises {@link IllegalArgumentException} saying which one and what was expected.
 */
public final class HipparchusBridge {

    /** Evaluations a {@link #leastSquares} problem allows before Hipparchus gives up (its builder defaults to 0). */
    public static final int MAX_EVALUATIONS = 1000;

    /** The relative change of every parameter below which a {@link #leastSquares} problem has converged. */
    public static final double PARAMETER_TOLERANCE = 1e-10;

    private HipparchusBridge() {}

    /**
     * f(x) and its gradient in one call, written into {@code gradient} ({@code f_grad_set}), or added to it
     * ({@code f_grad_into}: it arrives zeroed). Both arrays are the bridge's own, reused from sweep to sweep; the
     * optimiser gets a copy of the gradient.
     */
    @FunctionalInterface
    public interface ValueAndGradient {
        double at(double[] x, double[] gradient);
    }

    /** An ODE right-hand side ẏ = f(t, y) (parameters are whatever the lambda captures). */
    @FunctionalInterface
    public interface RightHandSide {
        double[] at(double t, double[] y);
    }

    /** A Jacobian of the right-hand side at (t, y): ∂f/∂y (n × n) or ∂f/∂p (n × parameters), a fresh array. */
    @FunctionalInterface
    public interface RightHandSideJacobian {
        double[][] at(double t, double[] y);
    }

    /**
     * What a gradient-based Hipparchus optimiser needs, from one derivative. {@link #with} adds the rest of the
     * optimisation data ({@code GoalType}, {@code InitialGuess}, {@code MaxEval}, ...) for {@code optimize(...)}.
     */
    public record Objective(ObjectiveFunction function, ObjectiveFunctionGradient gradient) {

        /** The function, its gradient and {@code more}, in one array for {@code optimizer.optimize(...)}. */
        public OptimizationData[] with(OptimizationData... more) {
            OptimizationData[] all = new OptimizationData[more.length + 2];
            all[0] = function;
            all[1] = gradient;
            System.arraycopy(more, 0, all, 2, more.length);
            return all;
        }
    }

    /**
     * The objective and its gradient from a reverse-mode binding such as {@code (x, g) -> f_grad_set(x, g)}: the
     * value and the gradient come from the same sweep, and the last point's are kept, so an optimiser asking for
     * both at one point pays one sweep. Line searches ask for values alone; {@link #objective(MultivariateFunction,
     * ValueAndGradient)} gives them the cheaper plain function.
     */
    public static Objective objective(ValueAndGradient valueAndGradient) {
        LastPoint last = new LastPoint(valueAndGradient);
        return new Objective(new ObjectiveFunction(last::value), new ObjectiveFunctionGradient(last::gradient));
    }

    /** As {@link #objective(ValueAndGradient)}, with values from {@code value} (the method itself, say). */
    public static Objective objective(MultivariateFunction value, ValueAndGradient valueAndGradient) {
        LastPoint last = new LastPoint(valueAndGradient);
        return new Objective(new ObjectiveFunction(value), new ObjectiveFunctionGradient(last::gradient));
    }

    /**
     * A least-squares model from a vector function and its Jacobian, e.g. {@code q -> r(q, data)} and
     * {@code q -> r_jac(q, data)} after {@code %autodiff jacobian r}. Hipparchus fits the model to a target; with
     * residuals as the model the target is zero ({@link #leastSquares} sets that up).
     */
    public static MultivariateJacobianFunction jacobianFunction(Function<double[], double[]> value,
                                                                Function<double[], double[][]> jacobian) {
        return point -> {
            double[] x = point.toArray();
            double[] y = value.apply(x);
            double[][] j = jacobian.apply(x);
            Shapes.check(j, y.length, x.length, "the Jacobian");
            return new Pair<>(new ArrayRealVector(y, false), new Array2DRowRealMatrix(j, false));
        };
    }

    /**
     * A least-squares problem minimising ½‖r(q)‖² from {@code start}: residuals, their Jacobian, target zero,
     * {@value #MAX_EVALUATIONS} evaluations and iterations allowed, and convergence once no parameter moves by more
     * than {@value #PARAMETER_TOLERANCE} relative (Gauss–Newton needs a checker; Levenberg–Marquardt stops at its own
     * tolerances or this, whichever comes first; a parameter whose optimum is exactly 0 needs a checker with an
     * absolute tolerance in its units). Add weights, another checker or a validator to the builder, then
     * {@code build()} it for {@code LevenbergMarquardtOptimizer} or {@code GaussNewtonOptimizer}. Hipparchus's
     * residuals are target − model, so its {@code getResiduals()} are −r.
     */
    public static LeastSquaresBuilder leastSquares(Function<double[], double[]> residuals,
                                                   Function<double[], double[][]> jacobian, double[] start) {
        int m = residuals.apply(start.clone()).length;
        return new LeastSquaresBuilder().model(jacobianFunction(residuals, jacobian)).target(new double[m])
                .start(start).maxEvaluations(MAX_EVALUATIONS).maxIterations(MAX_EVALUATIONS)
                .checker(LeastSquaresFactory.evaluationChecker(new SimplePointChecker<>(PARAMETER_TOLERANCE, 0)));
    }

    /** An ODE for Hipparchus's integrators from a cell's right-hand side, e.g. {@code (t, y) -> rhs(t, y, p)}. */
    public static OrdinaryDifferentialEquation ode(int dimension, RightHandSide rhs) {
        return new OdeModel(dimension, rhs, null, null, List.of());
    }

    /**
     * An ODE with its state Jacobian ∂f/∂y, for {@code VariationalEquation}'s sensitivities to the initial state
     * (e.g. {@code (t, y) -> rhs_jac(t, y, p)} after {@code %autodiff jacobian rhs --wrt y}).
     */
    public static ODEJacobiansProvider ode(int dimension, RightHandSide rhs, RightHandSideJacobian stateJacobian) {
        return new OdeModel(dimension, rhs, stateJacobian, null, List.of());
    }

    /**
     * An ODE with ∂f/∂y and the parameter Jacobian ∂f/∂p (n × k, column j for {@code parameters[j]}, e.g. after
     * {@code %autodiff jacobian rhs --wrt p --name rhsP}), for {@code VariationalEquation}'s sensitivities to the
     * initial state and to the named parameters. Hipparchus asks for one column at a time; the matrix is computed
     * once per evaluation of the right-hand side.
     */
    public static ODEJacobiansProvider ode(int dimension, RightHandSide rhs, RightHandSideJacobian stateJacobian,
                                           RightHandSideJacobian parameterJacobian, String... parameters) {
        if (List.of(parameters).stream().distinct().count() != parameters.length) {
            throw new IllegalArgumentException(Messages.HIPPARCHUS_PARAMETER_NAMES.format(List.of(parameters)));
        }
        return new OdeModel(dimension, rhs, stateJacobian, parameterJacobian, List.of(parameters));
    }
}
