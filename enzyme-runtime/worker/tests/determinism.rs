//! The same request gives the same code whatever the worker compiled before and in any worker process: each request
//! is served by a process forked from an idle parent, without address-space randomisation (serve.rs). In one
//! long-lived process, Enzyme's pointer-ordered numbering of return paths made this fixture's gradient come back in
//! different shapes from request to request, and Java's Rosenbrock in three shapes from three workers.

mod common;

use common::*;

/// Rosenbrock with the frontend's failure exits: an interrupt poll and a bounds check per iteration, each storing
/// a status code and a site id and returning, as lowered Java does.
const CHECKED_ROSENBROCK: &str = r#"
volatile int interrupted;
double rosenbrock(int *status, const double *x, int n) {
    double s = 0;
    for (int i = 0; i + 1 < n; i++) {
        if (interrupted) { status[0] = 4; status[4] = 2; return 0; }
        if (i + 1 >= n) { status[0] = 1; status[1] = i + 1; status[2] = n; status[4] = 3; return 0; }
        double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        s += 100 * a * a + b * b;
        if (interrupted) { status[0] = 4; status[4] = 5; return 0; }
    }
    return s;
}
"#;

const REQUEST: [(&str, &str); 4] =
    [("function", "rosenbrock"), ("mode", "reverse"), ("args", "const:i32*,dup:double*,const:i32"), ("return", "active")];

#[test]
fn the_same_request_gives_the_same_code_whatever_was_compiled_before_and_in_any_worker() {
    let rosenbrock = bitcode_of(CHECKED_ROSENBROCK, "-O0");
    let other = bitcode_of(fixtures::SIN_SUM, "-O2");
    let mut worker = Worker::start();
    let mut shapes = Vec::new();
    for round in 0..4 {
        let response = worker.differentiate(&rosenbrock, &REQUEST);
        assert_ok(&response);
        shapes.push(response.section("bitcode").unwrap().to_vec());
        for _ in 0..round {
            assert_ok(&worker.differentiate(&other, &[("function", "sin_sum"), ("mode", "reverse"),
                ("args", "const:i32*,active:double,dup:double*,const:i32,const:i32"), ("return", "active")]));
        }
    }
    for _ in 0..3 {
        let response = Worker::start().differentiate(&rosenbrock, &REQUEST);
        assert_ok(&response);
        shapes.push(response.section("bitcode").unwrap().to_vec());
    }
    for (round, shape) in shapes.iter().enumerate().skip(1) {
        assert!(shape == &shapes[0], "request {round} gave {} bytes of bitcode, request 0 {}", shape.len(), shapes[0].len());
    }
}
