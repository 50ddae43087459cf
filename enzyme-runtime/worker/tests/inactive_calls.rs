//! Enzyme's tables of functions known to be inactive (`isInactiveCall` in its ActivityAnalysis.cpp, which build.rs
//! recompiles with the tables built once): a call of a C library function they list (`logb`, the exponent of a
//! double, piecewise constant) is left out of the derivative, while the same call of a function they do not list
//! is refused.

mod common;

use common::*;
use jenzyme_worker::frame::Frame;

/// The sum over `x` of `x[i]^2 + callee(x[i])`.
fn squares_plus(callee: &str) -> String {
    format!(
        "
double {callee}(double);
double squares_plus(const double *x, int n) {{
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i] * x[i] + {callee}(x[i]);
    return s;
}}
"
    )
}

fn differentiate(callee: &str) -> Frame {
    let mut worker = Worker::start();
    worker.differentiate(
        &bitcode_of(&squares_plus(callee), "-O2"),
        &[("function", "squares_plus"), ("mode", "reverse"), ("args", "dup:double*,const:i32"), ("return", "active")],
    )
}

extern "C" {
    fn logb(x: f64) -> f64;
}

type SquaresPlusReverse = unsafe extern "C" fn(*const f64, *mut f64, i32, *mut f64);

#[test]
fn a_call_of_a_library_function_enzyme_lists_as_inactive_is_left_out_of_the_gradient() {
    let response = differentiate("logb");
    assert_ok(&response);
    let library = Library::from_bitcode(response.section("bitcode").unwrap());
    let gradient: SquaresPlusReverse = unsafe { library.symbol("squares_plus__jenzyme_reverse") };
    let x = [0.5, -1.25, 2.0, 3.5, -0.75, 1e-3, 6.0e4];
    let mut shadow = [0.0; 7];
    let mut out = [f64::NAN; 1];
    unsafe { gradient(x.as_ptr(), shadow.as_mut_ptr(), x.len() as i32, out.as_mut_ptr()) };
    let value: f64 = x.iter().map(|&v| v * v + unsafe { logb(v) }).sum();
    assert_rel(out[0], value, 1e-12, "sum of x^2 + logb(x)");
    for (i, (&got, &xi)) in shadow.iter().zip(&x).enumerate() {
        assert_rel(got, 2.0 * xi, 1e-12, &format!("d/dx[{i}]"));
    }
}

#[test]
fn the_same_call_of_a_function_enzyme_does_not_list_is_refused() {
    let message = error_message(&differentiate("exponent_of"));
    assert!(message.contains("No reverse pass found for exponent_of"), "expected the unlisted callee refused, got: {message}");
}
