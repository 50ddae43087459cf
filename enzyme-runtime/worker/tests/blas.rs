//! Enzyme's BLAS rules still apply with its `extractBLAS` remembered per name (src/blas_names.rs): a call of
//! `cblas_ddot` is differentiated by the rule (two `cblas_daxpy` calls), not refused, and the gradient is exact.
//! Every other test differentiates calls of functions that are not BLAS through the same path.

mod common;

use common::*;

const SELF_DOT: &str = "
double cblas_ddot(int n, const double *x, int incx, const double *y, int incy);
double self_dot(const double *x, int n) { return cblas_ddot(n, x, 1, x, 1) + cblas_ddot(n, x, 1, x, 1); }
";

/// A plain reference BLAS for the routines the module and its derivative call (the rule copies x for the reverse
/// sweep).
const REFERENCE_BLAS: &str = "
double cblas_ddot(int n, const double *x, int incx, const double *y, int incy) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i * incx] * y[i * incy];
    return s;
}
void cblas_dcopy(int n, const double *x, int incx, double *y, int incy) {
    for (int i = 0; i < n; i++) y[i * incy] = x[i * incx];
}
void cblas_daxpy(int n, double a, const double *x, int incx, double *y, int incy) {
    for (int i = 0; i < n; i++) y[i * incy] += a * x[i * incx];
}
";

type SelfDotReverse = unsafe extern "C" fn(*const f64, *mut f64, i32, *mut f64);

#[test]
fn a_blas_call_is_differentiated_by_enzymes_blas_rule() {
    let mut worker = Worker::start();
    let response = worker.differentiate(
        &bitcode_of(SELF_DOT, "-O2"),
        &[("function", "self_dot"), ("mode", "reverse"), ("args", "dup:double*,const:i32"), ("return", "active")],
    );
    assert_ok(&response);
    let bitcode = response.section("bitcode").unwrap();
    let library = Library::from_bitcode_and_c(bitcode, Some(REFERENCE_BLAS));
    let gradient: SelfDotReverse = unsafe { library.symbol("self_dot__jenzyme_reverse") };
    let x = [0.5, -1.25, 2.0, 3.5, -0.75];
    let mut shadow = [0.25; 5];
    let mut out = [f64::NAN; 1];
    unsafe { gradient(x.as_ptr(), shadow.as_mut_ptr(), x.len() as i32, out.as_mut_ptr()) };
    let value: f64 = 2.0 * x.iter().map(|v| v * v).sum::<f64>();
    assert_rel(out[0], value, 1e-12, "2 x.x");
    for (i, (&got, &xi)) in shadow.iter().zip(&x).enumerate() {
        assert_rel(got, 0.25 + 4.0 * xi, 1e-12, &format!("d/dx[{i}] added to the shadow"));
    }
    let text = jenzyme_worker::llvm::Context::new().parse_bitcode(bitcode).unwrap().to_text();
    assert!(text.contains("call void @cblas_daxpy"), "expected Enzyme's BLAS rule (cblas_daxpy), got:\n{text}");
}
