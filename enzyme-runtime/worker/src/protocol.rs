//! The meaning of the frames (PROTOCOL.md): which header fields a request carries and how results and failures
//! are answered. Framing itself is `frame`'s; the work is `pipeline`'s.

use crate::frame::Frame;
use crate::pipeline::{Differentiated, Failure, Phase};
use crate::spec::{Activity, ArgSpec, DiffRequest, Mode, Options};

pub const VERSION: &str = concat!("jenzyme-worker ", env!("CARGO_PKG_VERSION"));

/// What a client can ask of the worker.
pub enum Command {
    Ping,
    Differentiate { request: DiffRequest, bitcode: Vec<u8> },
    /// Test hook: abort the process as a crash inside Enzyme would.
    DebugAbort,
    /// Test hook: stay busy, so a client's timeout fires.
    DebugSleep { millis: u64 },
}

const DIFFERENTIATE_FIELDS: &[&str] =
    &["request", "function", "mode", "width", "args", "return", "primal", "ad_before_opt", "dump_ir", "fast_math", "overwrite", "wrapper",
        "keep_function", "tape_math", "runtime_activity",
        "defer_failure_checks", "defer_post_opt"];

pub fn decode(frame: Frame) -> Result<Command, String> {
    match frame.get("request") {
        Some("ping") => Ok(Command::Ping),
        Some("debug-abort") => Ok(Command::DebugAbort),
        Some("debug-sleep") => Ok(Command::DebugSleep { millis: number(&frame, "millis", 0)? }),
        Some("differentiate") => decode_differentiate(frame),
        Some(other) => Err(format!("expected request ping or differentiate, got '{other}'")),
        None => Err("expected a 'request' header field".to_string()),
    }
}

fn decode_differentiate(mut frame: Frame) -> Result<Command, String> {
    if let Some((key, _)) = frame.fields.iter().find(|(key, _)| !DIFFERENTIATE_FIELDS.contains(&key.as_str())) {
        return Err(format!("unknown request field '{key}'; expected one of {}", DIFFERENTIATE_FIELDS.join(", ")));
    }
    let function = required(&frame, "function")?.to_string();
    if function.is_empty() {
        return Err("expected a function name, got an empty string".to_string());
    }
    let width = number(&frame, "width", 1)? as u32;
    let mode = Mode::parse(required(&frame, "mode")?, width)?;
    let args = ArgSpec::parse_list(required(&frame, "args")?)?;
    let ret = Activity::parse(required(&frame, "return")?)?;
    let options = Options {
        primal_return: flag(&frame, "primal", true)?,
        ad_before_opt: flag(&frame, "ad_before_opt", false)?,
        dump_ir: flag(&frame, "dump_ir", false)?,
        fast_math: flag(&frame, "fast_math", false)?,
        overwrite: flag(&frame, "overwrite", false)?,
        wrapper_name: frame.get("wrapper").map(str::to_string),
        keep_function: flag(&frame, "keep_function", false)?,
        tape_math: flag(&frame, "tape_math", true)?,
        runtime_activity: flag(&frame, "runtime_activity", false)?,
        defer_failure_checks: flag(&frame, "defer_failure_checks", false)?,
        defer_post_opt: flag(&frame, "defer_post_opt", false)?,
    };
    let position = frame.sections.iter().position(|(name, _)| name == "bitcode");
    let bitcode = match position {
        Some(index) => frame.sections.swap_remove(index).1,
        None => return Err("expected a 'bitcode' section".to_string()),
    };
    Ok(Command::Differentiate { request: DiffRequest { function, mode, args, ret, options }, bitcode })
}

fn required<'a>(frame: &'a Frame, key: &str) -> Result<&'a str, String> {
    frame.get(key).ok_or_else(|| format!("expected a '{key}' field"))
}

fn number(frame: &Frame, key: &str, default: u64) -> Result<u64, String> {
    match frame.get(key) {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| format!("expected '{key}' to be a non-negative integer, got '{text}'")),
    }
}

fn flag(frame: &Frame, key: &str, default: bool) -> Result<bool, String> {
    match frame.get(key) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(format!("expected '{key}' to be true or false, got '{other}'")),
    }
}

pub fn pong() -> Frame {
    Frame::new().with("status", "ok").with("worker", VERSION)
}

pub fn success(result: Differentiated) -> Frame {
    let mut frame = Frame::new()
        .with("status", "ok")
        .with("symbol", &result.layout.symbol)
        .with("params", result.layout.params_token())
        .with("slots", result.layout.slots_token())
        .with("width", result.width);
    if let Some(symbol) = &result.overwrite_symbol {
        frame = frame.with("overwrite_symbol", symbol);
    }
    if let Some(symbol) = &result.parts_symbol {
        frame = frame.with("parts_symbol", symbol);
    }
    if let Some(passes) = &result.post_opt {
        frame = frame.with("post_opt", passes);
    }
    for (phase, duration) in &result.timings {
        frame = frame.with(&format!("time_us.{}", phase.token()), duration.as_micros());
    }
    frame = frame.with_section("bitcode", result.bitcode);
    if let Some(ir) = result.ir_before_enzyme {
        frame = frame.with_section("ir_before_enzyme", ir.into_bytes());
    }
    if let Some(ir) = result.ir_after_enzyme {
        frame = frame.with_section("ir_after_enzyme", ir.into_bytes());
    }
    frame
}

/// Messages can span lines (Enzyme prints whole functions), so they travel as a section, not a header field.
pub fn failure(failure: Failure) -> Frame {
    Frame::new().with("status", "error").with("phase", failure.phase.token()).with_section("message", failure.message.into_bytes())
}

pub fn request_error(message: String) -> Frame {
    failure(Failure { phase: Phase::Request, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fields: &[(&str, &str)]) -> Frame {
        let mut frame = Frame::new();
        for (k, v) in fields {
            frame = frame.with(k, v);
        }
        frame.with_section("bitcode", vec![1, 2, 3])
    }

    #[test]
    fn decodes_a_differentiate_request() {
        let command = decode(frame(&[
            ("request", "differentiate"),
            ("function", "f"),
            ("mode", "forward"),
            ("width", "2"),
            ("args", "const:i32*,dup:double"),
            ("return", "dupnoneed"),
            ("ad_before_opt", "true"),
            ("runtime_activity", "true"),
            ("defer_post_opt", "true"),
        ]))
        .unwrap();
        match command {
            Command::Differentiate { request, bitcode } => {
                assert_eq!(request.mode, Mode::Forward { width: 2 });
                assert_eq!(request.args.len(), 2);
                assert_eq!(request.ret, Activity::DuplicatedNoNeed);
                assert!(request.options.ad_before_opt && request.options.primal_return && !request.options.dump_ir);
                assert!(request.options.runtime_activity && !Options::default().runtime_activity);
                assert!(request.options.defer_post_opt && !Options::default().defer_post_opt);
                assert_eq!(bitcode, vec![1, 2, 3]);
            }
            _ => panic!("expected a differentiate command"),
        }
    }

    #[test]
    fn names_what_is_wrong() {
        let err = |fields: &[(&str, &str)]| match decode(frame(fields)) {
            Err(e) => e,
            Ok(_) => panic!("expected {fields:?} to be refused"),
        };
        assert!(err(&[("request", "dance")]).contains("'dance'"));
        assert!(err(&[("request", "differentiate"), ("function", "f")]).contains("'mode'"));
        assert!(err(&[("request", "differentiate"), ("colour", "red")]).contains("'colour'"));
        let bad_flag = err(&[
            ("request", "differentiate"),
            ("function", "f"),
            ("mode", "reverse"),
            ("args", ""),
            ("return", "const"),
            ("primal", "yes"),
        ]);
        assert!(bad_flag.contains("'primal'") && bad_flag.contains("'yes'"), "{bad_flag}");
    }
}
