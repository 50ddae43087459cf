//! Failures are answered, not crashed on: each error names its phase and the culprit, and the same worker
//! process answers the next request. Uncatchable crashes end the process (the client restarts it).

mod common;

use common::*;
use jenzyme_worker::frame::{Frame, ReadError};

const REVERSE: [(&str, &str); 3] = [("mode", "reverse"), ("args", "const:i32*,active:double"), ("return", "active")];

fn request<'a>(function: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("function", function)];
    fields.extend_from_slice(&REVERSE);
    fields.extend_from_slice(extra);
    fields
}

/// After any error, the same process must still differentiate.
fn assert_still_serving(worker: &mut Worker) {
    let response = worker.differentiate(&bitcode_of(fixtures::PIECEWISE, "-O2"), &request("piecewise", &[]));
    assert_ok(&response);
}

#[test]
fn garbage_bitcode_is_a_parse_error() {
    let mut worker = Worker::start();
    let response = worker.differentiate(b"this is not bitcode", &request("f", &[]));
    assert_eq!(response.get("phase"), Some("parse"));
    let message = error_message(&response);
    assert!(message.contains("not valid LLVM 19 bitcode") && message.contains("19 bytes"), "{message}");
    assert_still_serving(&mut worker);
}

#[test]
fn a_missing_function_is_named_with_what_the_module_defines() {
    let mut worker = Worker::start();
    let response = worker.differentiate(&bitcode_of(fixtures::PIECEWISE, "-O2"), &request("nowhere", &[]));
    assert_eq!(response.get("phase"), Some("request"));
    let message = error_message(&response);
    assert!(message.contains("'nowhere' not found") && message.contains("piecewise"), "{message}");
    assert_still_serving(&mut worker);
}

#[test]
fn a_request_that_does_not_match_the_signature_is_refused() {
    let mut worker = Worker::start();
    let bitcode = bitcode_of(fixtures::PIECEWISE, "-O2");
    let response = worker.differentiate(&bitcode, &[("function", "piecewise"), ("mode", "reverse"), ("args", "const:i32*,active:float"), ("return", "active")]);
    let message = error_message(&response);
    assert!(message.contains("parameter 1 of 'piecewise': expected float (from active:float), got double"), "{message}");
    let response = worker.differentiate(&bitcode, &[("function", "piecewise"), ("mode", "reverse"), ("args", "active:double"), ("return", "active")]);
    assert!(error_message(&response).contains("takes 2 parameters (ptr, double), the request describes 1"));
    let response = worker.differentiate(&bitcode, &[("function", "piecewise"), ("mode", "reverse"), ("args", "dup:i32*,active:double"), ("return", "dup")]);
    assert!(error_message(&response).contains("not supported in reverse mode"));
    assert_still_serving(&mut worker);
}

#[test]
fn a_call_to_an_unknown_external_names_the_function() {
    let mut worker = Worker::start();
    let response = worker.differentiate(&bitcode_of(fixtures::OPAQUE, "-O2"), &request("opaque", &[]));
    assert_eq!(response.get("phase"), Some("enzyme"), "{:?}", response.fields);
    let message = error_message(&response);
    assert!(message.contains("mystery_kernel"), "the message must name the callee: {message}");
    assert_still_serving(&mut worker);
}

#[test]
fn malformed_request_fields_are_named() {
    let mut worker = Worker::start();
    let response = worker.send(&Frame::new().with("request", "differentiate").with("function", "f").with("mode", "sideways"));
    assert_eq!(response.get("phase"), Some("request"));
    assert!(error_message(&response).contains("'sideways'"));
    let response = worker.send(&Frame::new().with("request", "transmogrify"));
    assert!(error_message(&response).contains("'transmogrify'"));
    assert_still_serving(&mut worker);
}

#[test]
fn ping_answers_with_the_version() {
    let mut worker = Worker::start();
    let response = worker.send(&Frame::new().with("request", "ping"));
    assert_eq!(response.get("status"), Some("ok"));
    assert!(response.get("worker").unwrap().starts_with("jenzyme-worker "));
}

#[test]
fn a_broken_stream_is_answered_once_then_the_worker_exits() {
    let mut worker = Worker::start();
    worker.send_raw(b"GET / HTTP/1.1\r\n\r\n");
    let response = worker.read().expect("one last frame explaining the failure");
    assert_eq!(response.get("phase"), Some("protocol"));
    assert!(error_message(&response).contains("magic"));
    assert_eq!(worker.wait().code(), Some(2));
}

#[test]
fn an_abort_ends_the_process_and_a_new_worker_serves() {
    let mut worker = Worker::start();
    worker.send_raw(&{
        let mut bytes = Vec::new();
        Frame::new().with("request", "debug-abort").write_to(&mut bytes).unwrap();
        bytes
    });
    assert!(matches!(worker.read(), Err(ReadError::EndOfStream)), "an aborted worker answers nothing");
    let status = worker.wait();
    assert!(!status.success(), "expected an abnormal exit, got {status}");
    assert_still_serving(&mut Worker::start());
}

#[test]
fn closing_stdin_ends_the_worker_cleanly() {
    let worker = Worker::start();
    assert_eq!(worker.wait().code(), Some(0));
}
