package jenzyme.hipparchus;

import java.util.Arrays;
import java.util.List;
import jenzyme.runtime.error.Messages;
import org.hipparchus.ode.ODEJacobiansProvider;

/**
 * An ODE from the user's lambdas (see {@link HipparchusBridge#ode}). {@code VariationalEquation} asks for the
 * parameter Jacobian one parameter at a time, at the same (t, y, ẏ) right after the state Jacobian; the whole
 * ∂f/∂p matrix is computed once per such evaluation and its columns served from it. The key is t and the identity of y and ẏ (Hipparchus
 * extracts a new y array at every evaluation, so a changed parameter, a new integration, never sees an old matrix),
 * and the contents of y, in case a caller writes into the same array.
 */
final class OdeModel implements ODEJacobiansProvider {

    private record Columns(double t, double[] y, double[] yCopy, double[] yDot, double[][] matrix) {}

    private final int dimension;
    private final HipparchusBridge.RightHandSide rhs;
    private final HipparchusBridge.RightHandSideJacobian stateJacobian;
    private final HipparchusBridge.RightHandSideJacobian parameterJacobian;
    private final List<String> parameters;
    private volatile Columns last;

    OdeModel(int dimension, HipparchusBridge.RightHandSide rhs, HipparchusBridge.RightHandSideJacobian stateJacobian,
             HipparchusBridge.RightHandSideJacobian parameterJacobian, List<String> parameters) {
        if (dimension < 1) {
            throw new IllegalArgumentException(Messages.HIPPARCHUS_DIMENSION.format(dimension));
        }
        this.dimension = dimension;
        this.rhs = rhs;
        this.stateJacobian = stateJacobian;
        this.parameterJacobian = parameterJacobian;
        this.parameters = parameters;
    }

    @Override
    public int getDimension() {
        return dimension;
    }

    @Override
    public double[] computeDerivatives(double t, double[] y) {
        double[] yDot = rhs.at(t, y);
        Shapes.check(yDot, dimension, "the right-hand side");
        return yDot;
    }

    @Override
    public double[][] computeMainStateJacobian(double t, double[] y, double[] yDot) {
        if (stateJacobian == null) {
            throw new IllegalStateException(Messages.HIPPARCHUS_NO_STATE_JACOBIAN.format());
        }
        double[][] jacobian = stateJacobian.at(t, y);
        Shapes.check(jacobian, dimension, dimension, "the state Jacobian ∂f/∂y");
        return jacobian;
    }

    @Override
    public List<String> getParametersNames() {
        return parameters;
    }

    @Override
    public boolean isSupported(String name) {
        return parameters.contains(name);
    }

    @Override
    public double[] computeParameterJacobian(double t, double[] y, double[] yDot, String name) {
        int column = parameters.indexOf(name);
        if (column < 0) {
            throw new IllegalArgumentException(Messages.HIPPARCHUS_UNKNOWN_PARAMETER.format(name, parameters));
        }
        Columns columns = last;
        if (columns == null || columns.t() != t || columns.y() != y || columns.yDot() != yDot
                || !Arrays.equals(columns.yCopy(), y)) {
            double[][] matrix = parameterJacobian.at(t, y);
            Shapes.check(matrix, dimension, parameters.size(), "the parameter Jacobian ∂f/∂p");
            columns = new Columns(t, y, y.clone(), yDot, matrix);
            last = columns;
        }
        double[] result = new double[dimension];
        for (int i = 0; i < dimension; i++) {
            result[i] = columns.matrix()[i][column];
        }
        return result;
    }
}
