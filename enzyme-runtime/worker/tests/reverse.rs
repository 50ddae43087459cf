//! Reverse mode on the four C fixtures: the wrapper's primal, adjoints and shadow gradients against analytic
//! derivatives (1e-12 relative) and central finite differences of the primal compiled alongside.

mod common;

use common::*;
use fixtures::VARIANTS;

type Scalar2 = unsafe extern "C" fn(*mut i32, f64, f64) -> f64;
type Scalar2Reverse = unsafe extern "C" fn(*mut i32, f64, f64, *mut f64);

fn reverse_library(worker: &mut Worker, source: &str, function: &str, args: &str, opt: &str, ad_first: bool) -> Library {
    let response = worker.differentiate(
        &bitcode_of(source, opt),
        &[
            ("function", function),
            ("mode", "reverse"),
            ("args", args),
            ("return", "active"),
            ("ad_before_opt", if ad_first { "true" } else { "false" }),
            ("keep_function", "true"), // the primal, to compare with
        ],
    );
    assert_ok(&response);
    assert_eq!(response.get("symbol"), Some(format!("{function}__jenzyme_reverse").as_str()));
    Library::from_bitcode(response.section("bitcode").unwrap())
}

fn check_two_scalar_gradient(source: &str, function: &str, analytic: fn(f64, f64) -> (f64, f64, f64), points: &[(f64, f64)]) {
    let mut worker = Worker::start();
    for (opt, ad_first) in VARIANTS {
        let library = reverse_library(&mut worker, source, function, "const:i32*,active:double,active:double", opt, ad_first);
        let (primal, gradient): (Scalar2, Scalar2Reverse) =
            unsafe { (library.symbol(function), library.symbol(&format!("{function}__jenzyme_reverse"))) };
        for &(x, y) in points {
            let mut status = 0;
            let mut out = [f64::NAN; 3];
            unsafe { gradient(&mut status, x, y, out.as_mut_ptr()) };
            let (value, dx, dy) = analytic(x, y);
            let case = format!("{function}({x}, {y}) {opt} ad_before_opt={ad_first}");
            assert_eq!(status, 0, "{case}: status");
            assert_rel(out[0], value, 1e-12, &format!("{case}: primal"));
            assert_rel(out[1], dx, 1e-12, &format!("{case}: d/dx"));
            assert_rel(out[2], dy, 1e-12, &format!("{case}: d/dy"));
            let f = |x: f64, y: f64| unsafe { primal(&mut 0, x, y) };
            assert_rel(out[1], central_difference(|x| f(x, y), x), 1e-6, &format!("{case}: d/dx by differences"));
            assert_rel(out[2], central_difference(|y| f(x, y), y), 1e-6, &format!("{case}: d/dy by differences"));
        }
    }
}

#[test]
fn scalar_composite_with_sin_exp_pow() {
    check_two_scalar_gradient(fixtures::COMPOSITE, "composite", fixtures::composite, &[(0.7, 1.3), (-1.1, 0.4), (2.5, 2.0)]);
}

#[test]
fn function_calling_another() {
    check_two_scalar_gradient(fixtures::CALLER, "caller", fixtures::caller, &[(0.7, 1.3), (1.9, 0.4), (3.0, 2.5)]);
}

#[test]
fn branchy_piecewise_on_each_branch() {
    type Piecewise = unsafe extern "C" fn(*mut i32, f64) -> f64;
    type PiecewiseReverse = unsafe extern "C" fn(*mut i32, f64, *mut f64);
    let mut worker = Worker::start();
    for (opt, ad_first) in VARIANTS {
        let library = reverse_library(&mut worker, fixtures::PIECEWISE, "piecewise", "const:i32*,active:double", opt, ad_first);
        let (primal, gradient): (Piecewise, PiecewiseReverse) =
            unsafe { (library.symbol("piecewise"), library.symbol("piecewise__jenzyme_reverse")) };
        for x in [-1.7, -0.3, 0.2, 0.9, 1.4, 3.1] {
            let mut out = [f64::NAN; 2];
            unsafe { gradient(&mut 0, x, out.as_mut_ptr()) };
            let (value, dx) = fixtures::piecewise(x);
            let case = format!("piecewise({x}) {opt} ad_before_opt={ad_first}");
            assert_rel(out[0], value, 1e-12, &format!("{case}: primal"));
            assert_rel(out[1], dx, 1e-12, &format!("{case}: d/dx"));
            assert_rel(out[1], central_difference(|x| unsafe { primal(&mut 0, x) }, x), 1e-6, &case);
        }
    }
}

type SinSum = unsafe extern "C" fn(*mut i32, f64, *const f64, i32, i32) -> f64;
type SinSumReverse = unsafe extern "C" fn(*mut i32, f64, *const f64, *mut f64, i32, i32, *mut f64);
const SIN_SUM_ARGS: &str = "const:i32*,active:double,dup:double*,const:i32,const:i32";

#[test]
fn loop_over_a_double_array() {
    let mut worker = Worker::start();
    let a: Vec<f64> = (0..37).map(|i| 0.1 + 0.05 * i as f64).collect();
    for (opt, ad_first) in VARIANTS {
        let library = reverse_library(&mut worker, fixtures::SIN_SUM, "sin_sum", SIN_SUM_ARGS, opt, ad_first);
        let (primal, gradient): (SinSum, SinSumReverse) =
            unsafe { (library.symbol("sin_sum"), library.symbol("sin_sum__jenzyme_reverse")) };
        for x in [0.3, -1.7, 2.9] {
            let case = format!("sin_sum({x}) {opt} ad_before_opt={ad_first}");
            let mut da = vec![0.0; a.len()];
            let mut out = [f64::NAN; 2];
            let n = a.len() as i32;
            let mut status = 0;
            unsafe { gradient(&mut status, x, a.as_ptr(), da.as_mut_ptr(), n, n, out.as_mut_ptr()) };
            assert_eq!(status, 0, "{case}: status");
            let (value, dx, expected_da) = fixtures::sin_sum(x, &a);
            assert_rel(out[0], value, 1e-12, &format!("{case}: primal"));
            assert_rel(out[1], dx, 1e-12, &format!("{case}: d/dx"));
            for (i, (got, want)) in da.iter().zip(&expected_da).enumerate() {
                assert_rel(*got, *want, 1e-12, &format!("{case}: d/da[{i}]"));
            }
            let f = |x: f64, a: &[f64]| unsafe { primal(&mut 0, x, a.as_ptr(), n, n) };
            assert_rel(out[1], central_difference(|x| f(x, &a), x), 1e-6, &format!("{case}: d/dx by differences"));
            for i in [0, 17, 36] {
                let moved = |ai: f64| {
                    let mut b = a.clone();
                    b[i] = ai;
                    f(x, &b)
                };
                assert_rel(da[i], central_difference(moved, a[i]), 1e-6, &format!("{case}: d/da[{i}] by differences"));
            }
        }
    }
}

#[test]
fn shadows_accumulate_and_the_status_word_survives_differentiation() {
    let mut worker = Worker::start();
    let library = reverse_library(&mut worker, fixtures::SIN_SUM, "sin_sum", SIN_SUM_ARGS, "-O2", false);
    let gradient: SinSumReverse = unsafe { library.symbol("sin_sum__jenzyme_reverse") };
    let a = [0.5, 1.5, 2.5];
    let x = 0.8;
    let (_, _, once) = fixtures::sin_sum(x, &a);

    // Enzyme adds into shadows (+=): calling twice without zeroing doubles the gradient.
    let mut da = [0.0; 3];
    for _ in 0..2 {
        unsafe { gradient(&mut 0, x, a.as_ptr(), da.as_mut_ptr(), 3, 3, [0.0; 2].as_mut_ptr()) };
    }
    for i in 0..3 {
        assert_rel(da[i], 2.0 * once[i], 1e-12, &format!("accumulated d/da[{i}]"));
    }

    // n beyond the length: the bounds check sets the status word in the differentiated code too.
    let mut status = 0;
    let mut out = [f64::NAN; 2];
    unsafe { gradient(&mut status, x, a.as_ptr(), [0.0; 3].as_mut_ptr(), 3, 5, out.as_mut_ptr()) };
    assert_eq!(status, 1, "the out-of-bounds access must set the status word");
    assert_eq!(out[0], 0.0, "the early return's primal");
}

#[test]
fn without_primal_the_slots_hold_only_adjoints() {
    let mut worker = Worker::start();
    let response = worker.differentiate(
        &bitcode_of(fixtures::COMPOSITE, "-O2"),
        &[
            ("function", "composite"),
            ("mode", "reverse"),
            ("args", "const:i32*,active:double,const:double"),
            ("return", "active"),
            ("primal", "false"),
        ],
    );
    assert_ok(&response);
    assert_eq!(response.get("params"), Some("arg0:ptr,arg1:double,arg2:double,out:ptr"));
    assert_eq!(response.get("slots"), Some("adjoint1:double"));
    let library = Library::from_bitcode(response.section("bitcode").unwrap());
    let gradient: unsafe extern "C" fn(*mut i32, f64, f64, *mut f64) = unsafe { library.symbol("composite__jenzyme_reverse") };
    let mut out = [f64::NAN; 2];
    unsafe { gradient(&mut 0, 0.7, 1.3, out.as_mut_ptr()) };
    assert_rel(out[0], fixtures::composite(0.7, 1.3).1, 1e-12, "d/dx");
    assert!(out[1].is_nan(), "only one slot may be written, got {}", out[1]);
}

#[test]
fn single_precision_adjoints_sit_in_the_first_four_bytes_of_their_slot() {
    type Gradient = unsafe extern "C" fn(*mut i32, f32, *const f32, *mut f32, i64, *mut u64);
    let mut worker = Worker::start();
    let response = worker.differentiate(
        &bitcode_of(fixtures::FLOAT_SCALE, "-O2"),
        &[("function", "float_scale"), ("mode", "reverse"), ("args", "const:i32*,active:float,dup:float*,const:i64"), ("return", "active")],
    );
    assert_ok(&response);
    assert_eq!(response.get("params"), Some("arg0:ptr,arg1:float,arg2:ptr,shadow2:ptr,arg3:i64,out:ptr"));
    assert_eq!(response.get("slots"), Some("primal:float,adjoint1:float"));
    let library = Library::from_bitcode(response.section("bitcode").unwrap());
    let gradient: Gradient = unsafe { library.symbol("float_scale__jenzyme_reverse") };
    let a = [0.5f32, -1.25, 2.0];
    let mut da = [0.0f32; 3];
    let mut out = [u64::MAX; 2];
    unsafe { gradient(&mut 0, 1.5, a.as_ptr(), da.as_mut_ptr(), 3, out.as_mut_ptr()) };
    let slot = |k: usize| f32::from_bits(out[k] as u32); // little-endian: the float is the slot's low half
    let sum_sq: f32 = a.iter().map(|v| v * v).sum();
    assert_rel(slot(0) as f64, (1.5 * sum_sq) as f64, 1e-6, "primal");
    assert_rel(slot(1) as f64, sum_sq as f64, 1e-6, "d/dx");
    for i in 0..3 {
        assert_rel(da[i] as f64, (2.0 * 1.5 * a[i]) as f64, 1e-6, &format!("d/da[{i}]"));
    }
}

#[test]
fn a_void_function_pulls_its_output_seed_back_through_the_shadows() {
    type Gradient = unsafe extern "C" fn(*mut i32, f64, *const f64, *mut f64, i32, *mut f64, *mut f64, i32, *mut f64);
    let mut worker = Worker::start();
    let response = worker.differentiate(
        &bitcode_of(fixtures::AXPY, "-O2"),
        &[
            ("function", "axpy"),
            ("mode", "reverse"),
            ("args", "const:i32*,active:double,dup:double*,const:i32,dup:double*,const:i32"),
            ("return", "const"),
        ],
    );
    assert_ok(&response);
    assert_eq!(response.get("slots"), Some("adjoint1:double"));
    let library = Library::from_bitcode(response.section("bitcode").unwrap());
    let gradient: Gradient = unsafe { library.symbol("axpy__jenzyme_reverse") };
    let (alpha, x) = (0.75, [1.0, -2.0, 3.5, 0.25]);
    let mut y = [0.5; 4];
    let mut dx = [0.0; 4];
    let mut dy = [1.0, 2.0, -1.0, 0.5]; // the seed: the gradient of some loss with respect to y after the call
    let mut out = [f64::NAN; 1];
    unsafe { gradient(&mut 0, alpha, x.as_ptr(), dx.as_mut_ptr(), 4, y.as_mut_ptr(), dy.as_mut_ptr(), 4, out.as_mut_ptr()) };
    let dalpha: f64 = x.iter().zip(&dy).map(|(xi, si)| xi * si).sum();
    assert_rel(out[0], dalpha, 1e-12, "d/dalpha = <x, seed>");
    for i in 0..4 {
        assert_rel(dx[i], alpha * dy[i], 1e-12, &format!("d/dx[{i}] = alpha * seed"));
        assert_rel(y[i], 0.5 + alpha * x[i], 1e-12, &format!("the primal update of y[{i}]"));
    }
}

#[test]
fn an_internal_function_survives_the_pre_ad_pipeline() {
    let ir = r#"
        define internal double @cube(ptr %status, double %x) {
          %sq = fmul double %x, %x
          %cube = fmul double %sq, %x
          ret double %cube
        }
    "#;
    let mut worker = Worker::start();
    let response = worker.differentiate(
        &bitcode_of_ir(ir),
        &[("function", "cube"), ("mode", "reverse"), ("args", "const:i32*,active:double"), ("return", "active")],
    );
    assert_ok(&response);
    let library = Library::from_bitcode(response.section("bitcode").unwrap());
    let gradient: unsafe extern "C" fn(*mut i32, f64, *mut f64) = unsafe { library.symbol("cube__jenzyme_reverse") };
    let mut out = [f64::NAN; 2];
    unsafe { gradient(&mut 0, 1.5, out.as_mut_ptr()) };
    assert_rel(out[0], 3.375, 1e-15, "1.5^3");
    assert_rel(out[1], 6.75, 1e-15, "3 * 1.5^2");
}

#[test]
fn a_recursive_function() {
    type Gradient = unsafe extern "C" fn(*mut i32, f64, i32, *mut f64);
    let mut worker = Worker::start();
    for (opt, ad_first) in VARIANTS {
        let response = worker.differentiate(
            &bitcode_of(fixtures::POWER, opt),
            &[
                ("function", "power"),
                ("mode", "reverse"),
                ("args", "const:i32*,active:double,const:i32"),
                ("return", "active"),
                ("ad_before_opt", if ad_first { "true" } else { "false" }),
            ],
        );
        assert_ok(&response);
        let library = Library::from_bitcode(response.section("bitcode").unwrap());
        let gradient: Gradient = unsafe { library.symbol("power__jenzyme_reverse") };
        for n in [1, 4, 7] {
            let mut out = [f64::NAN; 2];
            unsafe { gradient(&mut 0, 1.3, n, out.as_mut_ptr()) };
            let case = format!("power(1.3, {n}) {opt} ad_before_opt={ad_first}");
            assert_rel(out[0], 1.3f64.powi(n), 1e-12, &case);
            assert_rel(out[1], n as f64 * 1.3f64.powi(n - 1), 1e-12, &format!("{case}: d/dx"));
        }
    }
}

#[test]
fn llvm_math_intrinsics_as_the_java_frontend_emits_them() {
    let mut worker = Worker::start();
    for ad_first in ["false", "true"] {
        let response = worker.differentiate(
            &bitcode_of_ir(fixtures::INTRINSICS_IR),
            &[
                ("function", "intrinsics"),
                ("mode", "reverse"),
                ("args", "const:i32*,active:double,active:double"),
                ("return", "active"),
                ("ad_before_opt", ad_first),
            ],
        );
        assert_ok(&response);
        let library = Library::from_bitcode(response.section("bitcode").unwrap());
        let gradient: Scalar2Reverse = unsafe { library.symbol("intrinsics__jenzyme_reverse") };
        for (x, y) in [(0.7, 1.3), (2.1, -0.4)] {
            let mut out = [f64::NAN; 3];
            unsafe { gradient(&mut 0, x, y, out.as_mut_ptr()) };
            let (value, dx, dy) = fixtures::intrinsics(x, y);
            let case = format!("intrinsics({x}, {y}) ad_before_opt={ad_first}");
            assert_rel(out[0], value, 1e-12, &case);
            assert_rel(out[1], dx, 1e-12, &format!("{case}: d/dx"));
            assert_rel(out[2], dy, 1e-12, &format!("{case}: d/dy"));
        }
    }
}

/// Without `keep_function=true` the output defines the wrapper alone, and its gradient is unchanged.
#[test]
fn without_the_function_the_output_holds_the_wrapper_alone() {
    let mut worker = Worker::start();
    let bitcode = bitcode_of(fixtures::SIN_SUM, "-O2");
    let request = [("function", "sin_sum"), ("mode", "reverse"), ("args", SIN_SUM_ARGS), ("return", "active")];
    let dropped = worker.differentiate(&bitcode, &request);
    let kept = worker.differentiate(&bitcode, &[&request[..], &[("keep_function", "true")]].concat());
    assert_ok(&dropped);
    let context = jenzyme_worker::llvm::Context::new();
    let defined = |response: &jenzyme_worker::frame::Frame| {
        let module = context.parse_bitcode(response.section("bitcode").unwrap()).unwrap();
        let text = module.to_text();
        (text.contains("define double @sin_sum("), text.contains("define void @sin_sum__jenzyme_reverse("))
    };
    assert_eq!(defined(&kept), (true, true));
    assert_eq!(defined(&dropped), (false, true));
    let gradient: SinSumReverse = unsafe { Library::from_bitcode(dropped.section("bitcode").unwrap()).symbol("sin_sum__jenzyme_reverse") };
    let a = [0.5, 1.5, 2.5];
    let (value, dx, expected_da) = fixtures::sin_sum(0.8, &a);
    let (mut da, mut out) = ([0.0; 3], [0.0; 2]);
    unsafe { gradient(&mut 0, 0.8, a.as_ptr(), da.as_mut_ptr(), 3, 3, out.as_mut_ptr()) };
    assert_rel(out[0], value, 1e-12, "primal");
    assert_rel(out[1], dx, 1e-12, "d/dx");
    for (got, want) in da.iter().zip(&expected_da) {
        assert_rel(*got, *want, 1e-12, "d/da");
    }
}

/// Vector reverse mode (width 3): one call pulls three cotangents back through one primal run, each lane of y's
/// shadow seeding a row of the Jacobian of Lorenz-96's right-hand side and the same lane of u's shadow receiving it,
/// against the analytic rows (four entries each) at every row block of n = 7 (the last block with one idle lane).
#[test]
fn vector_mode_gives_a_jacobian_row_per_lane() {
    type Rows = unsafe extern "C" fn(*mut i32, *const f64, *const *mut f64, i32, *mut f64, *const *mut f64, i32, *mut f64);
    const LORENZ96: &str = r#"
void lorenz96(int *status, double *u, int n, double *du, int m) {
    for (int i = 0; i < n && i < m; i++)
        du[i] = (u[(i + 1) % n] - u[(i + n - 2) % n]) * u[(i + n - 1) % n] - u[i] + 8;
}
"#;
    let n = 7;
    let u: Vec<f64> = (0..n).map(|i| 0.3 * i as f64 - 0.8).collect();
    let row = |i: usize| {
        let mut r = vec![0.0; n];
        r[(i + 1) % n] += u[(i + n - 1) % n];
        r[(i + n - 2) % n] -= u[(i + n - 1) % n];
        r[(i + n - 1) % n] += u[(i + 1) % n] - u[(i + n - 2) % n];
        r[i] -= 1.0;
        r
    };
    let mut worker = Worker::start();
    for (opt, ad_first) in VARIANTS {
        let fields = [
            ("function", "lorenz96"),
            ("mode", "reverse"),
            ("width", "3"),
            ("args", "const:i32*,dup:double*,const:i32,dup:double*,const:i32"),
            ("return", "const"),
            ("ad_before_opt", if ad_first { "true" } else { "false" }),
        ];
        let response = worker.differentiate(&bitcode_of(LORENZ96, opt), &fields);
        assert_ok(&response);
        assert_eq!(response.get("symbol"), Some("lorenz96__jenzyme_reverse_x3"));
        assert_eq!(response.get("width"), Some("3"));
        let library = Library::from_bitcode(response.section("bitcode").unwrap());
        let rows: Rows = unsafe { library.symbol("lorenz96__jenzyme_reverse_x3") };
        for first in (0..n).step_by(3) {
            let mut adjoints = vec![vec![0.0; n]; 3];
            let mut cotangents = vec![vec![0.0; n]; 3];
            for lane in 0..3 {
                if first + lane < n {
                    cotangents[lane][first + lane] = 1.0;
                }
            }
            let adjoint_lanes: Vec<*mut f64> = adjoints.iter_mut().map(|a| a.as_mut_ptr()).collect();
            let cotangent_lanes: Vec<*mut f64> = cotangents.iter_mut().map(|c| c.as_mut_ptr()).collect();
            let mut du = vec![f64::NAN; n];
            let mut status = 0;
            unsafe {
                rows(&mut status, u.as_ptr(), adjoint_lanes.as_ptr(), n as i32, du.as_mut_ptr(), cotangent_lanes.as_ptr(),
                    n as i32, std::ptr::null_mut())
            };
            assert_eq!(status, 0);
            for lane in 0..3 {
                let want = if first + lane < n { row(first + lane) } else { vec![0.0; n] };
                for j in 0..n {
                    let what = format!("{opt} ad_before_opt={ad_first}: lane {lane} of block {first}, column {j}");
                    assert_eq!(adjoints[lane][j], want[j], "{what}");
                }
            }
        }
    }
}
