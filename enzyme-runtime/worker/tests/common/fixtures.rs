//! C fixtures in the calling convention of the Java frontend: a leading `int *status` (Const), scalars, and arrays
//! as (data pointer, int length) pairs. Shared by all integration tests; those in tests/data/ also by the Java
//! client's tests (NativeFixtures).

pub const COMPOSITE: &str = include_str!("../data/composite.c");

/// d/dx and d/dy of `composite`.
pub fn composite(x: f64, y: f64) -> (f64, f64, f64) {
    let value = x.sin() * y.exp() + x.powi(3) * y + y.powf(x);
    let dx = x.cos() * y.exp() + 3.0 * x * x * y + y.powf(x) * y.ln();
    let dy = x.sin() * y.exp() + x.powi(3) + x * y.powf(x - 1.0);
    (value, dx, dy)
}

/// A loop over a double array with the frontend's bounds check: `i >= a_len` sets the status word and leaves.
pub const SIN_SUM: &str = include_str!("../data/sin_sum.c");

/// Value, d/dx, and d/da_i of `sin_sum` over all of `a`.
pub fn sin_sum(x: f64, a: &[f64]) -> (f64, f64, Vec<f64>) {
    let value = a.iter().map(|ai| (x * ai).sin()).sum();
    let dx = a.iter().map(|ai| ai * (x * ai).cos()).sum();
    let da = a.iter().map(|ai| x * (x * ai).cos()).collect();
    (value, dx, da)
}

pub const CALLER: &str = r#"
#include <math.h>
double helper(double u, double v) { return u * u * v + log(v); }
double caller(int *status, double x, double y) { return helper(x, y) * helper(y, x); }
"#;

pub fn caller(x: f64, y: f64) -> (f64, f64, f64) {
    let h = |u: f64, v: f64| u * u * v + v.ln();
    let (hxy, hyx) = (h(x, y), h(y, x));
    let dx = 2.0 * x * y * hyx + hxy * (y * y + 1.0 / x);
    let dy = (x * x + 1.0 / y) * hyx + hxy * 2.0 * y * x;
    (hxy * hyx, dx, dy)
}

pub const PIECEWISE: &str = r#"
#include <math.h>
double piecewise(int *status, double x) {
    if (x < 0.0) return x * x * x;
    else if (x < 1.0) return sin(x) + 1.0;
    else return exp(x - 1.0) * x;
}
"#;

pub fn piecewise(x: f64) -> (f64, f64) {
    if x < 0.0 {
        (x * x * x, 3.0 * x * x)
    } else if x < 1.0 {
        (x.sin() + 1.0, x.cos())
    } else {
        ((x - 1.0).exp() * x, (x - 1.0).exp() * (1.0 + x))
    }
}

/// Every fixture is differentiated as clang -O0 and -O2 produce it, with and without the pre-AD optimisation.
pub const VARIANTS: [(&str, bool); 4] = [("-O0", false), ("-O0", true), ("-O2", false), ("-O2", true)];

/// Single precision and a 64-bit length: `sum_i x * a_i^2` over floats.
pub const FLOAT_SCALE: &str = r#"
float float_scale(int *status, float x, float *a, long n) {
    float acc = 0.0f;
    for (long i = 0; i < n; i++) acc += x * a[i] * a[i];
    return acc;
}
"#;

/// A void function whose output is an array: `y += alpha * x`.
pub const AXPY: &str = r#"
void axpy(int *status, double alpha, double *x, int x_len, double *y, int y_len) {
    for (int i = 0; i < x_len; i++) {
        if (i >= y_len) { *status = 1; return; }
        y[i] += alpha * x[i];
    }
}
"#;

/// Recursion, as Java methods may recurse: x^n by repeated multiplication.
pub const POWER: &str = r#"
double power(int *status, double x, int n) {
    if (n == 0) return 1.0;
    return x * power(status, x, n - 1);
}
"#;

/// What the Java frontend emits for `Math.sin(x) * Math.exp(y) + Math.pow(x, y)`: LLVM intrinsics, not libm calls.
pub const INTRINSICS_IR: &str = r#"
declare double @llvm.sin.f64(double)
declare double @llvm.exp.f64(double)
declare double @llvm.pow.f64(double, double)

define double @intrinsics(ptr %status, double %x, double %y) {
entry:
  %s = call double @llvm.sin.f64(double %x)
  %e = call double @llvm.exp.f64(double %y)
  %p = call double @llvm.pow.f64(double %x, double %y)
  %m = fmul double %s, %e
  %r = fadd double %m, %p
  ret double %r
}
"#;

pub fn intrinsics(x: f64, y: f64) -> (f64, f64, f64) {
    let value = x.sin() * y.exp() + x.powf(y);
    let dx = x.cos() * y.exp() + y * x.powf(y - 1.0);
    let dy = x.sin() * y.exp() + x.powf(y) * x.ln();
    (value, dx, dy)
}

/// A call to a function Enzyme has no derivative for (errors.rs; the Java client's tests use it too).
pub const OPAQUE: &str = include_str!("../data/opaque.c");

/// The frontend's out-of-line failure check (the Java lowering's UnwindingFailures), as textual IR for the fixtures
/// that call it: `jenzyme.fail_if` stores status 1 and calls the unwinder `jenzyme.fail_unwind` when `%failed`.
pub const FAIL_IF_IR: &str = r#"declare void @jenzyme.fail_unwind(ptr) cold nounwind nofree
define internal void @jenzyme.fail_if(ptr %status, i1 %failed) noinline nounwind memory(argmem: readwrite) {
entry:
  br i1 %failed, label %raise, label %ok
raise:
  store i32 1, ptr %status
  call void @jenzyme.fail_unwind(ptr %status)
  ret void
ok:
  ret void
}
"#;
