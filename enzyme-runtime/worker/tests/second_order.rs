//! A gradient that is differentiated again (hvp: forward mode over the reverse-mode wrapper). Its failure checks stay
//! out of line and its unwinder returning until the second request (`defer_failure_checks`): inlined after the first,
//! Enzyme's forward mode took the paths to them for unreachable, and a `throw` vanished from the product.

mod common;

use common::*;
use jenzyme_worker::llvm::Context;
use jenzyme_worker::pipeline;
use jenzyme_worker::spec::{Activity, ArgSpec, DiffRequest, Mode, Options};

/// `double f(int *status, int t, double x)`: x³, a failed check when t > 5 (status 1), a `throw` when t == 3 (10);
/// after [`fixtures::FAIL_IF_IR`], the check it calls.
const F: &str = r#"define double @f(ptr %status, i32 %t, double %x) {
entry:
  %c = icmp sgt i32 %t, 5
  call void @jenzyme.fail_if(ptr %status, i1 %c)
  %isthrow = icmp eq i32 %t, 3
  br i1 %isthrow, label %throw, label %body
throw:
  store i32 10, ptr %status
  call void @jenzyme.fail_unwind(ptr %status)
  br label %exit
body:
  %y = fmul double %x, %x
  %z = fmul double %y, %x
  br label %exit
exit:
  %r = phi double [ 0.0, %throw ], [ %z, %body ]
  ret double %r
}
"#;

/// The forward-over-reverse module's text, the inner gradient's failure checks deferred or not.
fn over_gradient(defer: bool) -> String {
    let gradient = DiffRequest {
        function: "f".to_string(),
        mode: Mode::parse("reverse", 1).unwrap(),
        args: ArgSpec::parse_list("const:i32*,const:i32,active:double").unwrap(),
        ret: Activity::parse("active").unwrap(),
        options: Options { primal_return: false, tape_math: false, defer_failure_checks: defer, ..Options::default() },
    };
    let module = bitcode_of_ir(&[fixtures::FAIL_IF_IR, F].concat());
    let inner = pipeline::differentiate(&module, &gradient).unwrap_or_else(|f| panic!("{f}"));
    // the wrapper (status, t, x, out): out[0] receives df/dx, whose tangent along x is the product
    let forward = DiffRequest {
        function: "f__jenzyme_reverse".to_string(),
        mode: Mode::parse("forward", 1).unwrap(),
        args: ArgSpec::parse_list("const:i32*,const:i32,dup:double,dup:double*").unwrap(),
        ret: Activity::parse("const").unwrap(),
        options: Options::default(),
    };
    let outer = pipeline::differentiate(&inner.bitcode, &forward).unwrap_or_else(|f| panic!("{f}"));
    Context::new().parse_bitcode(&outer.bitcode).unwrap().to_text()
}

/// The body of the forward-over-reverse wrapper, with what it inlined.
fn wrapper_body(text: &str) -> &str {
    text.split("define void @f__jenzyme_reverse__jenzyme_forward(").nth(1).unwrap().split("\n}").next().unwrap()
}

#[test]
fn deferred_failure_checks_keep_the_throw_and_the_check_in_the_product() {
    let text = over_gradient(true);
    let body = wrapper_body(&text);
    assert!(body.contains("store i32 10") && body.contains("store i32 1,"), "{text}");
    assert_eq!(body.matches("call void @jenzyme.fail_unwind").count(), 2, "{text}");
}

/// Why the option exists: inlined after the first sweep, the second one dropped the paths to the unwinder.
#[test]
fn failure_checks_inlined_after_the_first_sweep_lose_the_throw_in_the_product() {
    let text = over_gradient(false);
    let body = wrapper_body(&text);
    assert!(!body.contains("store i32 10") && !body.contains("store i32 1,"), "{text}");
    assert!(!body.contains("@jenzyme.fail_unwind"), "{text}");
}
