package scientific;

/** Objects that keep running state in their fields: accumulators and integrators that advance their own state. */
public class Accumulators {

    /** Welford's online mean and variance: one pass, numerically stable. */
    static final class Welford {
        int count;
        double mean, m2;

        void add(double x) {
            count++;
            double delta = x - mean;
            mean += delta / count;
            m2 += delta * (x - mean);
        }

        double variance() {
            return m2 / (count - 1);
        }
    }

    /** Kahan's compensated sum. */
    static final class KahanSum {
        double sum, compensation;

        void add(double x) {
            double y = x - compensation;
            double t = sum + y;
            compensation = (t - sum) - y;
            sum = t;
        }
    }

    /** A damped oscillator that advances its own state (semi-implicit Euler). */
    static final class Oscillator {
        double x, v, t;
        final double omega, damping;

        Oscillator(double x, double v, double omega, double damping) {
            this.x = x;
            this.v = v;
            this.omega = omega;
            this.damping = damping;
        }

        void step(double dt) {
            v += (-omega * omega * x - 2 * damping * v) * dt;
            x += v * dt;
            t += dt;
        }

        double energy() {
            return 0.5 * v * v + 0.5 * omega * omega * x * x;
        }
    }

    /** Exponentially weighted moving average, seeded by its first sample. */
    static final class Ema {
        final double alpha;
        double value;
        boolean seeded;

        Ema(double alpha) {
            this.alpha = alpha;
        }

        void update(double x) {
            value = seeded ? alpha * x + (1 - alpha) * value : x;
            seeded = true;
        }
    }

    /** A particle in a 2-D potential well whose state is a position array and a clock. */
    static final class Particle2 {
        final double[] q, p;
        double time;
        int kicks;

        Particle2(double[] q, double[] p) {
            this.q = q;
            this.p = p;
        }

        void leapfrog(double k, double dt) {
            for (int i = 0; i < 2; i++) p[i] -= 0.5 * dt * k * q[i];
            for (int i = 0; i < 2; i++) q[i] += dt * p[i];
            for (int i = 0; i < 2; i++) p[i] -= 0.5 * dt * k * q[i];
            time += dt;
            kicks += 2;
        }
    }

    /** A chain of unit masses on springs, its state arrays and clock advanced in place, a long step counter. */
    static final class Chain {
        final double[] pos, vel;
        double t;
        long steps;

        Chain(double[] pos, double[] vel) {
            this.pos = pos;
            this.vel = vel;
        }

        void step(double h) {
            for (int i = 0; i < pos.length; i++) {
                double left = i > 0 ? pos[i - 1] : 0, right = i + 1 < pos.length ? pos[i + 1] : 0;
                vel[i] += h * (left - 2 * pos[i] + right);
            }
            for (int i = 0; i < pos.length; i++) pos[i] += h * vel[i];
            t += h;
            steps++;
        }

        double energy() {
            double e = 0;
            for (int i = 0; i < pos.length; i++) {
                double stretch = pos[i] - (i > 0 ? pos[i - 1] : 0);
                e += 0.5 * vel[i] * vel[i] + 0.5 * stretch * stretch;
            }
            return e;
        }
    }

    static double chainEnergy(double[] x0, double h, int steps) {
        Chain chain = new Chain(x0.clone(), new double[x0.length]);
        while (chain.steps < steps) chain.step(0.1 * h);
        return chain.energy() + chain.t;
    }

    static double sampleVariance(double[] x) {
        Welford w = new Welford();
        for (double xi : x) w.add(xi);
        return w.variance();
    }

    static double compensatedSum(double[] x) {
        KahanSum s = new KahanSum();
        for (double xi : x) s.add(xi * xi);
        return s.sum;
    }

    static double dampedEnergy(double x0, double v0, double omega, double damping, int steps) {
        Oscillator o = new Oscillator(x0, v0, omega, 0.1 * damping);
        while (o.t < steps * 0.01 - 1e-9) o.step(0.01);
        return o.energy();
    }

    static double smoothedLast(double[] x, double alpha) {
        Ema ema = new Ema(0.5 * alpha);
        for (double xi : x) ema.update(xi);
        return ema.value;
    }

    static double wellAction(double[] q0, double k, int steps) {
        Particle2 particle = new Particle2(new double[] {q0[0], q0[1]}, new double[2]);
        double action = 0;
        for (int s = 0; s < steps; s++) {
            particle.leapfrog(k, 0.02);
            action += 0.02 * (particle.p[0] * particle.p[0] + particle.p[1] * particle.p[1]);
        }
        return action + particle.time * particle.kicks;
    }
}
