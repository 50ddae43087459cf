//! What a client asks for: the function, the mode and, per argument, its type and activity.
//! Shared by the two front doors (the framed protocol in `protocol` and the command line in `cli`), both of which
//! spell arguments as `<activity>:<type>` tokens, e.g. `dup:double*`.

use std::fmt;

/// Reverse mode returns adjoints; forward mode returns tangents. Both run `width` lanes at once (Enzyme's vector
/// mode): in reverse mode each lane pulls back its own cotangent through one primal sweep, e.g. `width` rows of a
/// Jacobian for the price of one forward sweep and one vector reverse sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Reverse { width: u32 },
    Forward { width: u32 },
}

impl Mode {
    /// Plain (single-lane) reverse mode, a gradient.
    pub const REVERSE: Mode = Mode::Reverse { width: 1 };

    pub fn parse(token: &str, width: u32) -> Result<Mode, String> {
        match token {
            "reverse" | "forward" if !(1..=64).contains(&width) => {
                Err(format!("expected a {token} width in 1..=64, got {width}"))
            }
            "reverse" => Ok(Mode::Reverse { width }),
            "forward" => Ok(Mode::Forward { width }),
            other => Err(format!("expected mode 'reverse' or 'forward', got '{other}'")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Reverse { .. } => "reverse",
            Mode::Forward { .. } => "forward",
        }
    }

    pub fn width(self) -> u32 {
        match self {
            Mode::Reverse { width } | Mode::Forward { width } => width,
        }
    }
}

/// Enzyme's activities, named as the seeds name them, and `Scratch`: an array the caller wants no derivative of but
/// which the function writes with values depending on differentiated arguments and reads back (a Const work buffer).
/// Enzyme would take such memory as inactive and drop that path from the derivative, so the wrapper gives it a
/// zeroed shadow of its own (`wrapper::emit`), passes it as Duplicated and frees it after the call; the caller passes
/// no shadow. Its length is the argument right after it (`const:i32`, the Java convention's array length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Const,
    Active,
    Duplicated,
    DuplicatedNoNeed,
    Scratch,
}

impl Activity {
    pub fn parse(token: &str) -> Result<Activity, String> {
        match token {
            "const" => Ok(Activity::Const),
            "active" => Ok(Activity::Active),
            "dup" => Ok(Activity::Duplicated),
            "dupnoneed" => Ok(Activity::DuplicatedNoNeed),
            "scratch" => Ok(Activity::Scratch),
            other => Err(format!("expected activity const, active, dup, dupnoneed or scratch, got '{other}'")),
        }
    }

    pub fn token(self) -> &'static str {
        match self {
            Activity::Const => "const",
            Activity::Active => "active",
            Activity::Duplicated => "dup",
            Activity::DuplicatedNoNeed => "dupnoneed",
            Activity::Scratch => "scratch",
        }
    }

    /// Whether the caller passes a shadow/tangent beside the primal (a `Scratch` array's is the wrapper's own).
    pub fn has_shadow(self) -> bool {
        matches!(self, Activity::Duplicated | Activity::DuplicatedNoNeed)
    }
}

/// The scalar types a parameter (or what a pointer parameter points to) may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Double,
    Float,
    I32,
    I64,
    /// A Java `boolean`, which crosses as FFM's C `bool`: an `i8` holding 0 or 1 (always constant).
    I8,
}

impl Scalar {
    pub fn is_floating(self) -> bool {
        matches!(self, Scalar::Double | Scalar::Float)
    }

    pub fn token(self) -> &'static str {
        match self {
            Scalar::Double => "double",
            Scalar::Float => "float",
            Scalar::I32 => "i32",
            Scalar::I64 => "i64",
            Scalar::I8 => "i8",
        }
    }

    fn parse(token: &str) -> Option<Scalar> {
        match token {
            "double" => Some(Scalar::Double),
            "float" => Some(Scalar::Float),
            "i32" => Some(Scalar::I32),
            "i64" => Some(Scalar::I64),
            "i8" => Some(Scalar::I8),
            _ => None,
        }
    }
}

/// A parameter's type: a scalar value, an opaque pointer to scalars of one type, or a pointer to a table of such
/// pointers (`double**`: the row table of a Java `double[][]`, whose shadow is a table of shadow rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Value(Scalar),
    PointerTo(Scalar),
    RowTable(Scalar),
}

impl ArgType {
    /// Whether the argument is passed by pointer (its shadow is a pointer too).
    pub fn is_pointer(self) -> bool {
        !matches!(self, ArgType::Value(_))
    }
}

impl ArgType {
    pub fn parse(token: &str) -> Result<ArgType, String> {
        let parsed = if let Some(row) = token.strip_suffix("**") {
            Scalar::parse(row).map(ArgType::RowTable)
        } else if let Some(pointee) = token.strip_suffix('*') {
            Scalar::parse(pointee).map(ArgType::PointerTo)
        } else {
            Scalar::parse(token).map(ArgType::Value)
        };
        parsed.ok_or_else(|| {
            format!(
                "expected type double, float, i32, i64, i8, a pointer to one (double*) or to a table of such \
                 pointers (double**), got '{token}'"
            )
        })
    }
}

impl fmt::Display for ArgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgType::Value(s) => f.write_str(s.token()),
            ArgType::PointerTo(s) => write!(f, "{}*", s.token()),
            ArgType::RowTable(s) => write!(f, "{}**", s.token()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArgSpec {
    pub activity: Activity,
    pub ty: ArgType,
}

impl ArgSpec {
    /// Parses `<activity>:<type>`, e.g. `active:double` or `dup:double*`.
    pub fn parse(token: &str) -> Result<ArgSpec, String> {
        let (activity, ty) = token
            .split_once(':')
            .ok_or_else(|| format!("expected an argument as <activity>:<type> (e.g. dup:double*), got '{token}'"))?;
        Ok(ArgSpec { activity: Activity::parse(activity.trim())?, ty: ArgType::parse(ty.trim())? })
    }

    /// Parses a comma-separated list; the empty string is the empty list (a function without parameters).
    pub fn parse_list(list: &str) -> Result<Vec<ArgSpec>, String> {
        if list.trim().is_empty() {
            return Ok(Vec::new());
        }
        list.split(',').map(ArgSpec::parse).collect()
    }
}

impl fmt::Display for ArgSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.activity.token(), self.ty)
    }
}

/// Switches that change how (not what) the worker differentiates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Include the primal return value in the wrapper's output (ignored for void functions and for a
    /// `dupnoneed` return, which by definition drops it).
    pub primal_return: bool,
    /// Skip the pre-AD optimisation, so the benchmark can measure what optimising first buys.
    pub ad_before_opt: bool,
    /// Return the module's IR as text just before and just after Enzyme.
    pub dump_ir: bool,
    /// `--fast-math`: allow reassociation and contraction (`reassoc contract`) on all floating-point arithmetic of
    /// the module after Enzyme, so reductions vectorise and multiply-adds fuse; NaN and infinities keep their IEEE
    /// meaning (e.g. an infinite slope of `sqrt` at 0). Off by default: results round like Java's.
    pub fast_math: bool,
    /// Also emit the overwriting wrapper `<symbol>_set` when the module can have one (PROTOCOL.md; reverse mode).
    pub overwrite: bool,
    /// Overrides the wrapper's default symbol name (see `wrapper::default_symbol`).
    pub wrapper_name: Option<String>,
    /// Keep the differentiated function an exported definition beside the wrapper (tests compare it with the
    /// derivative). Off by default: callers call only the wrapper, and without the function O3 and the JIT's code
    /// generation each did about a third less work on ./bench --latency's RK4 method (opt 55 -> 36 ms, llc 57 -> 34
    /// ms of CPU, load 12).
    pub keep_function: bool,
    /// Tape the results of expensive math calls for the reverse sweep (`kept_results`). Off for a gradient that is
    /// differentiated again (hvp): Enzyme's forward mode over a loop's taped `exp` results refused the tape's growing
    /// allocation as "mixed activity".
    pub tape_math: bool,
    /// Enzyme's runtime activity: a pointer whose activity Enzyme cannot prove either way gets a shadow checked
    /// at run time (a shadow equal to the primal means inactive) instead of a "mixed activity" refusal. Only for the
    /// forward sweep of an hvp whose gradient allocates in a loop (the JVM asks again with it after that refusal):
    /// the checks cost time on every use of such a pointer.
    pub runtime_activity: bool,
    /// Leave the failure checks out of line and the unwinder returning (`failure_checks::inline_after_ad` not run),
    /// for a gradient that is differentiated again (hvp): its forward sweep must see them as Enzyme's first did. Run
    /// after the second, inlined, they made Enzyme's forward mode delete the paths to every failure, and with them
    /// the exceptions.
    pub defer_failure_checks: bool,
    /// Leave the post-AD pipeline to the client: the response carries the module as Enzyme and the wrapper left it,
    /// and names the passes still to run (`post_opt`). A notebook's JIT compiles quick code from that module at
    /// once, while a background thread runs the passes and compiles the full code, so that the post-AD optimisation
    /// (about a third of the worker's time on ./bench --latency's RK4 method) is no longer waited for.
    pub defer_post_opt: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { primal_return: true, ad_before_opt: false, dump_ir: false, fast_math: false, overwrite: false, wrapper_name: None,
            keep_function: false, tape_math: true,
            runtime_activity: false, defer_failure_checks: false, defer_post_opt: false }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffRequest {
    pub function: String,
    pub mode: Mode,
    pub args: Vec<ArgSpec>,
    pub ret: Activity,
    pub options: Options,
}

impl DiffRequest {
    /// Validates what the client sent against what Enzyme admits per mode and type (no IR needed). Policy — the
    /// defaults, the user's words, the Java types — is decided by the client (the Java frontend's
    /// `CallingConvention`); this only refuses requests Enzyme cannot honour, e.g. from the command line.
    pub fn check_activities(&self) -> Result<(), String> {
        for (i, arg) in self.args.iter().enumerate() {
            check_arg(self.mode, i, arg)?;
            if arg.activity == Activity::Scratch {
                check_scratch(i, arg, self.args.get(i + 1))?;
            }
        }
        if let Mode::Reverse { width: 2.. } = self.mode {
            // An adjoint returned in a slot, or the seed of an active return, would need one per lane.
            if self.ret == Activity::Active || self.args.iter().any(|a| a.activity == Activity::Active) {
                return Err("vector reverse mode (width > 1) takes no active scalars or return: expected dup \
                            pointers (a cotangent lane per shadow) and const"
                    .to_string());
            }
        }
        match (self.mode, self.ret) {
            (Mode::Reverse { .. }, Activity::Duplicated | Activity::DuplicatedNoNeed) => Err(format!(
                "return activity '{}' is not supported in reverse mode: expected active (a floating return) or const",
                self.ret.token()
            )),
            (_, Activity::Scratch) => Err("return activity 'scratch' is for array arguments only".to_string()),
            (Mode::Forward { .. }, Activity::Active) => Err(
                "return activity 'active' is reverse-mode only: in forward mode use dup (primal and tangent), \
                 dupnoneed (tangent only) or const"
                    .to_string(),
            ),
            _ => Ok(()),
        }
    }
}

/// A scratch array is a pointer to floating values followed by its length, from which the wrapper sizes its shadow.
fn check_scratch(index: usize, arg: &ArgSpec, length: Option<&ArgSpec>) -> Result<(), String> {
    let floating = matches!(arg.ty, ArgType::PointerTo(s) if s.is_floating());
    let counted = matches!(length, Some(ArgSpec { activity: Activity::Const, ty: ArgType::Value(Scalar::I32) }));
    if floating && counted {
        return Ok(());
    }
    Err(format!(
        "argument {index} ({arg}): scratch is for a pointer to double or float followed by its length (const:i32), \
         got {}",
        length.map_or("no further argument".to_string(), |l| l.to_string())
    ))
}

fn check_arg(mode: Mode, index: usize, arg: &ArgSpec) -> Result<(), String> {
    let problem = match (mode, arg.activity, arg.ty) {
        (_, Activity::Const, _) => None,
        (_, _, ArgType::Value(s)) if !s.is_floating() => {
            Some("an integer parameter has no derivative: expected const".to_string())
        }
        (Mode::Reverse { .. }, Activity::Active, ArgType::Value(_)) => None,
        (Mode::Reverse { .. }, Activity::Active, ArgType::PointerTo(_) | ArgType::RowTable(_)) => {
            Some("a pointer cannot be active: expected dup (its shadow receives the gradient) or const".to_string())
        }
        (Mode::Reverse { .. }, _, ArgType::Value(_)) => {
            Some("a floating scalar in reverse mode is active (its adjoint is returned) or const".to_string())
        }
        (Mode::Reverse { .. }, _, ArgType::PointerTo(_) | ArgType::RowTable(_)) => None,
        (Mode::Forward { .. }, Activity::Active, _) => {
            Some("active is reverse-mode only: in forward mode use dup to pass a tangent".to_string())
        }
        (Mode::Forward { .. }, _, _) => None,
    };
    match problem {
        Some(why) => Err(format!("argument {index} ({arg}) in {} mode: {why}", mode.name())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_argument_tokens() {
        assert_eq!(
            ArgSpec::parse_list("const:i32*, active:double,dup:double*").unwrap(),
            vec![
                ArgSpec { activity: Activity::Const, ty: ArgType::PointerTo(Scalar::I32) },
                ArgSpec { activity: Activity::Active, ty: ArgType::Value(Scalar::Double) },
                ArgSpec { activity: Activity::Duplicated, ty: ArgType::PointerTo(Scalar::Double) },
            ]
        );
        assert_eq!(ArgSpec::parse_list("").unwrap(), vec![]);
        let rows = ArgSpec::parse("dup:double**").unwrap();
        assert_eq!(rows, ArgSpec { activity: Activity::Duplicated, ty: ArgType::RowTable(Scalar::Double) });
        assert_eq!(rows.to_string(), "dup:double**");
        assert!(ArgSpec::parse("dup:double***").is_err());
    }

    #[test]
    fn rejects_unknown_tokens_naming_them() {
        assert!(ArgSpec::parse("active:complex").unwrap_err().contains("'complex'"));
        assert!(ArgSpec::parse("live:double").unwrap_err().contains("'live'"));
        assert!(ArgSpec::parse("double").unwrap_err().contains("<activity>:<type>"));
        assert!(Mode::parse("sideways", 1).unwrap_err().contains("'sideways'"));
        assert!(Mode::parse("reverse", 65).unwrap_err().contains("reverse width in 1..=64"));
    }

    fn request(mode: Mode, args: &str, ret: Activity) -> DiffRequest {
        DiffRequest {
            function: "f".into(),
            mode,
            args: ArgSpec::parse_list(args).unwrap(),
            ret,
            options: Options::default(),
        }
    }

    #[test]
    fn checks_activities_per_mode() {
        let fwd = Mode::Forward { width: 1 };
        assert!(request(Mode::REVERSE, "const:i32*,active:double,dup:double*,const:i32", Activity::Active)
            .check_activities()
            .is_ok());
        assert!(request(fwd, "dup:double,dup:double*,const:i32", Activity::Duplicated).check_activities().is_ok());
        let err = request(Mode::REVERSE, "active:double*", Activity::Active).check_activities().unwrap_err();
        assert!(err.contains("argument 0 (active:double*)"), "{err}");
        assert!(request(fwd, "active:double", Activity::Duplicated).check_activities().is_err());
        assert!(request(Mode::REVERSE, "dup:double", Activity::Active).check_activities().is_err());
        assert!(request(Mode::REVERSE, "active:i32", Activity::Const).check_activities().is_err());
        // a Java boolean (i8) is a constant like an int
        assert!(request(Mode::REVERSE, "const:i8,active:double", Activity::Active).check_activities().is_ok());
        assert!(request(Mode::REVERSE, "active:i8", Activity::Const).check_activities().is_err());
        assert!(request(fwd, "dup:i8", Activity::Duplicated).check_activities().is_err());
        assert!(request(Mode::REVERSE, "active:double", Activity::Duplicated).check_activities().is_err());
        assert!(request(fwd, "dup:double", Activity::Active).check_activities().is_err());
    }

    #[test]
    fn vector_reverse_mode_has_no_active_scalars() {
        let rows = Mode::Reverse { width: 4 };
        assert!(request(rows, "const:i32*,dup:double*,const:i32,dup:double*,const:i32", Activity::Const)
            .check_activities()
            .is_ok());
        let active = request(rows, "dup:double*,active:double", Activity::Const).check_activities().unwrap_err();
        assert!(active.contains("vector reverse mode (width > 1) takes no active scalars"), "{active}");
        assert!(request(rows, "dup:double*", Activity::Active).check_activities().is_err());
    }

    #[test]
    fn a_scratch_array_is_floating_and_followed_by_its_length() {
        let fwd = Mode::Forward { width: 2 };
        assert!(request(Mode::REVERSE, "dup:double*,const:i32,scratch:double*,const:i32", Activity::Active)
            .check_activities()
            .is_ok());
        assert!(request(fwd, "scratch:float*,const:i32", Activity::Duplicated).check_activities().is_ok());
        let no_length = request(Mode::REVERSE, "scratch:double*,active:double", Activity::Active).check_activities();
        assert!(no_length.unwrap_err().contains("followed by its length (const:i32), got active:double"));
        assert!(request(Mode::REVERSE, "scratch:double*", Activity::Active).check_activities().unwrap_err()
            .contains("got no further argument"));
        assert!(request(Mode::REVERSE, "scratch:i32*,const:i32", Activity::Active).check_activities().is_err());
        assert!(request(Mode::REVERSE, "scratch:double**,const:i32", Activity::Active).check_activities().is_err());
    }
}
