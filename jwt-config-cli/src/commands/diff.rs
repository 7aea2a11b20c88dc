//! `diff`: two env files, each alone, compared by effective value.

use std::io::{self, Write};
use std::path::Path;

use jwt_config::agreement::{self, KeyGap, KeyView};
use jwt_config::{Config, ConfigError, Loaded, Problem, ProblemKind, Resolved, vars};
use serde::Serialize;

use super::report::{
    Compared, OriginJson, ProblemJson, WarningJson, clean, compared, origin_text, problem_text,
    report_unreadable, to_json, warning_text,
};
use super::{Outcome, env_file};
use crate::args::{DiffArgs, Format};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// `diff`: both files alone, compared by effective value.
pub(crate) fn diff<T: Config>(
    args: &DiffArgs,
    keys_of: Option<fn(&T) -> KeyView>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    let mut sides = Vec::new();
    for path in [&args.a, &args.b] {
        match env_file(path, true, &args.allow_file_dirs) {
            Ok(file) => sides.push(T::load_with_report(&file)),
            Err(error) => return report_unreadable(&error, args.format, out),
        }
    }
    let b = sides.pop().expect("two sides");
    let a = sides.pop().expect("two sides");
    let mut report = DiffReport::new(args, &a, &b);
    if let (Some(keys_of), Ok(a), Ok(b)) = (keys_of, &a, &b) {
        report.compare_keys(&keys_of(&a.value), &keys_of(&b.value));
    }
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        // Markdown is refused when the command line is parsed (`text_or_json`).
        Format::Text | Format::Markdown => write_diff_text(&report, style, out)?,
    }
    let strict_failure = args.strict && report.files.iter().any(|f| !f.warnings.is_empty());
    Ok(if report.agree && !strict_failure {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// What `diff` reports, for people (text) and programs (JSON) alike.
#[derive(Serialize)]
struct DiffReport {
    /// Both files load and every shared setting agrees.
    agree: bool,
    files: [DiffFile; 2],
    /// Shared settings whose effective values differ.
    differences: Vec<DiffEntry>,
    /// Settings of one service (shown, not counted).
    per_service: Vec<DiffEntry>,
    /// Secrets too short to compare without revealing them (set on both sides).
    not_compared: Vec<String>,
    /// Problems of the pair: two files for one service.
    problems: Vec<ProblemJson>,
    /// For each side that signs: whether the other side verifies its signing key.
    keys: Vec<KeyDirection>,
    /// Verification keys of one side only: a rotation in progress, no difference by itself.
    unshared_verification_keys: Vec<String>,
}

/// One direction of key agreement: does `verifier` accept what `signer` signs (tokens), or
/// the calls it makes (service calls)?
#[derive(Serialize)]
struct KeyDirection {
    signer: String,
    verifier: String,
    purpose: Purpose,
    /// The signer's key; `None` where the gap concerns no one key.
    key_id: Option<String>,
    accepted: bool,
    /// Why not, naming the variables and the fixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Purpose {
    Tokens,
    ServiceCalls,
}

#[derive(Serialize)]
struct DiffFile {
    path: String,
    valid: bool,
    problems: Vec<ProblemJson>,
    warnings: Vec<WarningJson>,
}

#[derive(Serialize)]
struct DiffEntry {
    variable: String,
    secret: bool,
    /// Compared by key agreement where the schema holds the JWT settings, not by value.
    #[serde(skip)]
    key_material: bool,
    a: DiffSide,
    b: DiffSide,
}

#[derive(Serialize)]
struct DiffSide {
    set: bool,
    /// `None` for a secret or an unset variable.
    value: Option<String>,
    origin: OriginJson,
}

impl KeyDirection {
    fn accepted(signer: &str, verifier: &str, purpose: Purpose, key_id: &str) -> Self {
        KeyDirection {
            signer: signer.to_owned(),
            verifier: verifier.to_owned(),
            purpose,
            key_id: Some(key_id.to_owned()),
            accepted: true,
            problem: None,
        }
    }

    fn gap(signer: &str, verifier: &str, gap: &KeyGap) -> Self {
        KeyDirection {
            signer: signer.to_owned(),
            verifier: verifier.to_owned(),
            purpose: if gap.is_service_call() {
                Purpose::ServiceCalls
            } else {
                Purpose::Tokens
            },
            key_id: gap.key_id().map(str::to_owned),
            accepted: false,
            problem: Some(gap.explain(&clean(signer), &clean(verifier))),
        }
    }
}

impl DiffSide {
    fn of(variable: &Resolved) -> Self {
        DiffSide {
            set: variable.rendered().is_some(),
            value: variable
                .rendered()
                .map(str::to_owned)
                .filter(|_| !variable.secret()),
            origin: OriginJson::from(variable),
        }
    }
}

impl DiffFile {
    fn new<T>(path: &Path, loaded: &Result<Loaded<T>, ConfigError>) -> Self {
        let (problems, warnings) = match loaded {
            Ok(loaded) => (
                Vec::new(),
                loaded.warnings.iter().map(WarningJson::from).collect(),
            ),
            Err(error) => (
                error.problems().iter().map(ProblemJson::from).collect(),
                error.warnings().iter().map(WarningJson::from).collect(),
            ),
        };
        DiffFile {
            path: path.display().to_string(),
            valid: loaded.is_ok(),
            problems,
            warnings,
        }
    }
}

impl DiffReport {
    fn new<T>(
        args: &DiffArgs,
        a: &Result<Loaded<T>, ConfigError>,
        b: &Result<Loaded<T>, ConfigError>,
    ) -> Self {
        let mut report = DiffReport {
            agree: false,
            files: [DiffFile::new(&args.a, a), DiffFile::new(&args.b, b)],
            differences: Vec::new(),
            per_service: Vec::new(),
            not_compared: Vec::new(),
            problems: Vec::new(),
            keys: Vec::new(),
            unshared_verification_keys: Vec::new(),
        };
        if let (Ok(a), Ok(b)) = (a, b) {
            report.compare(a, b);
            report.agree = report.differences.is_empty() && report.problems.is_empty();
        }
        report
    }

    /// Two services agree on keys when each verifies what the other signs, and each receiver
    /// verifies the calls of a caller it allows (the facade's one rule, `agreement`).
    fn compare_keys(&mut self, a: &KeyView, b: &KeyView) {
        let [name_a, name_b] = [0, 1].map(|i| self.files[i].path.clone());
        for (signer, verifier, signer_keys, verifier_keys) in
            [(&name_a, &name_b, a, b), (&name_b, &name_a, b, a)]
        {
            let gaps = agreement::key_gaps(signer_keys, verifier_keys);
            let refused = |id: &str, service_call: bool| {
                gaps.iter()
                    .any(|g| g.is_service_call() == service_call && g.key_id() == Some(id))
            };
            for key in signer_keys.token_keys.iter().filter(|k| k.signs) {
                if !refused(&key.id, false) {
                    self.keys.push(KeyDirection::accepted(
                        signer,
                        verifier,
                        Purpose::Tokens,
                        &key.id,
                    ));
                }
            }
            let calls_checked = !verifier_keys.service_call_keys.is_empty()
                && verifier_keys.allows(&signer_keys.service_id);
            for key in signer_keys.service_call_keys.iter().filter(|k| k.signs) {
                if calls_checked && !refused(&key.id, true) {
                    let purpose = Purpose::ServiceCalls;
                    self.keys
                        .push(KeyDirection::accepted(signer, verifier, purpose, &key.id));
                }
            }
            for gap in &gaps {
                self.keys.push(KeyDirection::gap(signer, verifier, gap));
            }
        }
        if let Some(gap) = agreement::common_token_key_gap(a, b) {
            self.keys.push(KeyDirection::gap(&name_a, &name_b, &gap));
        }
        for (own, other) in [(a, b), (b, a)] {
            for key in own.token_keys.iter().filter(|k| !k.signs) {
                if !other.token_keys.iter().any(|o| o.same_key(key)) {
                    self.unshared_verification_keys.push(key.id.clone());
                }
            }
        }
        // Key material is compared by agreement, not by value: an issuer that signs with a
        // new key its verifiers already know is no difference.
        self.differences.retain(|d| !d.key_material);
        if a.service_id == b.service_id {
            self.problems.push(ProblemJson::from(&Problem::new(
                vars::SERVICE_ID,
                ProblemKind::Conflict,
                "is the same in both files: two services never share an id (a copied env file?)",
            )));
        }
        self.agree = self.differences.is_empty()
            && self.problems.is_empty()
            && self.keys.iter().all(|k| k.accepted);
    }

    fn compare<T>(&mut self, a: &Loaded<T>, b: &Loaded<T>) {
        for left in &a.variables {
            let Some(right) = b.variables.iter().find(|v| v.variable() == left.variable()) else {
                continue;
            };
            let (l, r) = (compared(left), compared(right));
            if l == Compared::Weak && r == Compared::Weak {
                self.not_compared.push(left.variable().to_owned());
                continue;
            }
            if l == r {
                continue;
            }
            let entry = DiffEntry {
                variable: left.variable().to_owned(),
                secret: left.secret(),
                key_material: left.key_material(),
                a: DiffSide::of(left),
                b: DiffSide::of(right),
            };
            if left.per_service() {
                self.per_service.push(entry);
            } else {
                self.differences.push(entry);
            }
        }
    }
}

fn write_diff_text(report: &DiffReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    for file in report.files.iter().filter(|f| !f.valid) {
        writeln!(
            out,
            "{} {} does not load:",
            style.bad("invalid"),
            clean(&file.path)
        )?;
        for problem in &file.problems {
            writeln!(out, "  {}", problem_text(problem, style))?;
        }
    }
    if report.files.iter().any(|f| !f.valid) {
        return Ok(());
    }
    let [a, b] = [&report.files[0].path, &report.files[1].path].map(|p| clean(p).into_owned());
    let width = a.len().max(b.len());
    for difference in &report.differences {
        let name = style.name(&clean(&difference.variable));
        if difference.secret {
            let text = match (difference.a.set, difference.b.set) {
                (true, false) => format!("set in {a}, unset in {b}"),
                (false, true) => format!("unset in {a}, set in {b}"),
                _ => "the two values differ".to_owned(),
            };
            writeln!(out, "{} {name} (secret): {text}", style.bad("differs"))?;
            continue;
        }
        writeln!(out, "{} {name}", style.bad("differs"))?;
        writeln!(out, "    {a:<width$}  {}", side_text(&difference.a))?;
        writeln!(out, "    {b:<width$}  {}", side_text(&difference.b))?;
    }
    for entry in &report.per_service {
        let shown = |side: &DiffSide| {
            if entry.secret {
                if side.set { "(secret, set)" } else { "(unset)" }.to_owned()
            } else {
                side_text(side)
            }
        };
        writeln!(
            out,
            "per service, not counted: {}: {} vs {}",
            clean(&entry.variable),
            shown(&entry.a),
            shown(&entry.b)
        )?;
    }
    for name in &report.not_compared {
        writeln!(
            out,
            "not compared: {} (a secret shorter than 32 bytes on both sides gets no digest)",
            clean(name)
        )?;
    }
    for direction in &report.keys {
        let (signer, verifier) = (clean(&direction.signer), clean(&direction.verifier));
        let id = clean(direction.key_id.as_deref().unwrap_or_default());
        match (&direction.problem, direction.purpose) {
            (Some(problem), _) => {
                writeln!(out, "{} keys: {}", style.bad("differs"), clean(problem))?;
            }
            (None, Purpose::Tokens) => writeln!(
                out,
                "keys: {verifier} verifies what {signer} signs (key {id})"
            )?,
            (None, Purpose::ServiceCalls) => writeln!(
                out,
                "service calls: {verifier} verifies the calls of {signer} (key {id})"
            )?,
        }
    }
    for id in &report.unshared_verification_keys {
        writeln!(
            out,
            "verification key {} on one side only (a rotation in progress; not a difference)",
            clean(id)
        )?;
    }
    for problem in &report.problems {
        writeln!(
            out,
            "{} {}",
            style.bad("problem"),
            problem_text(problem, style)
        )?;
    }
    for file in &report.files {
        for warning in &file.warnings {
            writeln!(
                out,
                "{} {}: {}",
                style.warn("warning"),
                clean(&file.path),
                warning_text(warning)
            )?;
        }
    }
    let keys_disagree = report.keys.iter().any(|k| !k.accepted);
    match report.differences.len() {
        0 if keys_disagree => writeln!(out, "the files disagree on keys"),
        0 if report.problems.is_empty() => {
            writeln!(out, "{} every shared setting agrees", style.good("same"))
        }
        0 => writeln!(out, "the files have problems as a pair"),
        n => writeln!(
            out,
            "{n} shared setting{} differ{}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        ),
    }
}

fn side_text(side: &DiffSide) -> String {
    match (&side.value, side.set) {
        (Some(value), true) => format!("{}  ({})", clean(value), origin_text(&side.origin)),
        _ => "(unset)".to_owned(),
    }
}
