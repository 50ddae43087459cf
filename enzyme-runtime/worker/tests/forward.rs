//! Forward mode on the C fixtures: tangents through the wrapper (scalar and vector width) against analytic
//! derivatives (1e-12 relative) and central finite differences.

mod common;

use common::*;
use fixtures::VARIANTS;

fn forward_library(worker: &mut Worker, source: &str, fields: &[(&str, &str)], opt: &str, ad_first: bool) -> (Library, String) {
    let mut all = fields.to_vec();
    all.push(("mode", "forward"));
    all.push(("ad_before_opt", if ad_first { "true" } else { "false" }));
    all.push(("keep_function", "true")); // the primal, to compare with
    let response = worker.differentiate(&bitcode_of(source, opt), &all);
    assert_ok(&response);
    let symbol = response.get("symbol").unwrap().to_string();
    (Library::from_bitcode(response.section("bitcode").unwrap()), symbol)
}

#[test]
fn scalar_tangents_of_the_composite() {
    type Tangent = unsafe extern "C" fn(*mut i32, f64, f64, f64, f64, *mut f64);
    let mut worker = Worker::start();
    let fields = [("function", "composite"), ("args", "const:i32*,dup:double,dup:double"), ("return", "dup")];
    for (opt, ad_first) in VARIANTS {
        let (library, symbol) = forward_library(&mut worker, fixtures::COMPOSITE, &fields, opt, ad_first);
        assert_eq!(symbol, "composite__jenzyme_forward");
        let tangent: Tangent = unsafe { library.symbol(&symbol) };
        for (x, y) in [(0.7, 1.3), (-1.1, 0.4)] {
            let (value, dx, dy) = fixtures::composite(x, y);
            let case = format!("composite({x}, {y}) {opt} ad_before_opt={ad_first}");
            for (seed, want) in [((1.0, 0.0), dx), ((0.0, 1.0), dy), ((2.0, -3.0), 2.0 * dx - 3.0 * dy)] {
                let mut out = [f64::NAN; 2];
                unsafe { tangent(&mut 0, x, seed.0, y, seed.1, out.as_mut_ptr()) };
                assert_rel(out[0], value, 1e-12, &format!("{case}: primal"));
                assert_rel(out[1], want, 1e-12, &format!("{case}: tangent along {seed:?}"));
            }
        }
    }
}

#[test]
fn vector_mode_gives_both_partials_in_one_call() {
    type Tangents = unsafe extern "C" fn(*mut i32, f64, *const f64, f64, *const f64, *mut f64);
    let mut worker = Worker::start();
    let fields = [("function", "caller"), ("args", "const:i32*,dup:double,dup:double"), ("return", "dup"), ("width", "2")];
    for (opt, ad_first) in VARIANTS {
        let (library, symbol) = forward_library(&mut worker, fixtures::CALLER, &fields, opt, ad_first);
        assert_eq!(symbol, "caller__jenzyme_forward_x2");
        let tangents: Tangents = unsafe { library.symbol(&symbol) };
        let (x, y) = (0.7, 1.3);
        let mut out = [f64::NAN; 3];
        unsafe { tangents(&mut 0, x, [1.0, 0.0].as_ptr(), y, [0.0, 1.0].as_ptr(), out.as_mut_ptr()) };
        let (value, dx, dy) = fixtures::caller(x, y);
        let case = format!("caller {opt} ad_before_opt={ad_first}");
        assert_rel(out[0], value, 1e-12, &format!("{case}: primal"));
        assert_rel(out[1], dx, 1e-12, &format!("{case}: lane 0 = d/dx"));
        assert_rel(out[2], dy, 1e-12, &format!("{case}: lane 1 = d/dy"));
    }
}

#[test]
fn array_tangents_through_the_loop() {
    type SinSum = unsafe extern "C" fn(*mut i32, f64, *const f64, i32, i32) -> f64;
    type Tangent = unsafe extern "C" fn(*mut i32, f64, f64, *const f64, *const f64, i32, i32, *mut f64);
    let mut worker = Worker::start();
    let fields = [
        ("function", "sin_sum"),
        ("args", "const:i32*,dup:double,dup:double*,const:i32,const:i32"),
        ("return", "dupnoneed"),
    ];
    let a: Vec<f64> = (0..11).map(|i| 0.3 * i as f64 - 1.0).collect();
    let n = a.len() as i32;
    for (opt, ad_first) in VARIANTS {
        let (library, symbol) = forward_library(&mut worker, fixtures::SIN_SUM, &fields, opt, ad_first);
        let tangent: Tangent = unsafe { library.symbol(&symbol) };
        let primal: SinSum = unsafe { library.symbol("sin_sum") };
        let x = 1.1;
        let (_, dx, da) = fixtures::sin_sum(x, &a);
        let case = format!("sin_sum {opt} ad_before_opt={ad_first}");
        let zeros = vec![0.0; a.len()];
        let mut out = [f64::NAN; 1];
        unsafe { tangent(&mut 0, x, 1.0, a.as_ptr(), zeros.as_ptr(), n, n, out.as_mut_ptr()) };
        assert_rel(out[0], dx, 1e-12, &format!("{case}: d/dx"));
        for j in [1, 4, 10] {
            let mut unit = zeros.clone();
            unit[j] = 1.0;
            unsafe { tangent(&mut 0, x, 0.0, a.as_ptr(), unit.as_ptr(), n, n, out.as_mut_ptr()) };
            assert_rel(out[0], da[j], 1e-12, &format!("{case}: d/da[{j}]"));
            let moved = |aj: f64| {
                let mut b = a.clone();
                b[j] = aj;
                unsafe { primal(&mut 0, x, b.as_ptr(), n, n) }
            };
            assert_rel(out[0], central_difference(moved, a[j]), 1e-6, &format!("{case}: d/da[{j}] by differences"));
        }
    }
}

#[test]
fn piecewise_tangent_only() {
    type Tangent = unsafe extern "C" fn(*mut i32, f64, f64, *mut f64);
    let mut worker = Worker::start();
    let fields = [("function", "piecewise"), ("args", "const:i32*,dup:double"), ("return", "dupnoneed")];
    for (opt, ad_first) in VARIANTS {
        let (library, _) = forward_library(&mut worker, fixtures::PIECEWISE, &fields, opt, ad_first);
        let tangent: Tangent = unsafe { library.symbol("piecewise__jenzyme_forward") };
        for x in [-1.7, 0.2, 0.9, 1.4] {
            let mut out = [f64::NAN; 1];
            unsafe { tangent(&mut 0, x, 1.0, out.as_mut_ptr()) };
            assert_rel(out[0], fixtures::piecewise(x).1, 1e-12, &format!("piecewise'({x}) {opt} ad_before_opt={ad_first}"));
        }
    }
}

#[test]
fn vector_mode_array_shadows_come_as_a_pointer_to_lane_pointers() {
    type Tangents = unsafe extern "C" fn(*mut i32, f64, *const f64, *const f64, *const *const f64, i32, i32, *mut f64);
    let mut worker = Worker::start();
    let fields = [
        ("function", "sin_sum"),
        ("args", "const:i32*,dup:double,dup:double*,const:i32,const:i32"),
        ("return", "dupnoneed"),
        ("width", "3"),
    ];
    let (library, symbol) = forward_library(&mut worker, fixtures::SIN_SUM, &fields, "-O2", false);
    assert_eq!(symbol, "sin_sum__jenzyme_forward_x3");
    let tangents: Tangents = unsafe { library.symbol(&symbol) };
    let a = [0.4, -0.8, 1.6, 2.2];
    let x = 0.6;
    let (_, dx, da) = fixtures::sin_sum(x, &a);
    // lane 0 along x, lane 1 along a[2], lane 2 along x and a[3] together
    let dxs = [1.0, 0.0, 1.0];
    let lanes: [[f64; 4]; 3] = [[0.0; 4], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
    let lane_pointers = [lanes[0].as_ptr(), lanes[1].as_ptr(), lanes[2].as_ptr()];
    let mut out = [f64::NAN; 3];
    unsafe { tangents(&mut 0, x, dxs.as_ptr(), a.as_ptr(), lane_pointers.as_ptr(), 4, 4, out.as_mut_ptr()) };
    assert_rel(out[0], dx, 1e-12, "lane 0: d/dx");
    assert_rel(out[1], da[2], 1e-12, "lane 1: d/da[2]");
    assert_rel(out[2], dx + da[3], 1e-12, "lane 2: d/dx + d/da[3]");
}

#[test]
fn a_void_function_pushes_tangents_into_its_output_shadow() {
    type Tangent = unsafe extern "C" fn(*mut i32, f64, f64, *const f64, *const f64, i32, *mut f64, *mut f64, i32, *mut f64);
    let mut worker = Worker::start();
    let fields = [
        ("function", "axpy"),
        ("args", "const:i32*,dup:double,dup:double*,const:i32,dup:double*,const:i32"),
        ("return", "const"),
    ];
    let (library, _) = forward_library(&mut worker, fixtures::AXPY, &fields, "-O2", false);
    let tangent: Tangent = unsafe { library.symbol("axpy__jenzyme_forward") };
    let (alpha, x) = (0.75, [1.0, -2.0, 3.5]);
    let dx = [0.5, 0.25, -1.0];
    let mut y = [0.0; 3];
    let mut dy = [0.0; 3];
    unsafe { tangent(&mut 0, alpha, 2.0, x.as_ptr(), dx.as_ptr(), 3, y.as_mut_ptr(), dy.as_mut_ptr(), 3, std::ptr::null_mut()) };
    for i in 0..3 {
        // d(y_i) = d(alpha) x_i + alpha d(x_i), with d(alpha) = 2
        assert_rel(dy[i], 2.0 * x[i] + alpha * dx[i], 1e-12, &format!("tangent of y[{i}]"));
    }
}
