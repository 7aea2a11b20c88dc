//! `diff`: two env files, each alone, compared by effective value: the audit of two inputs.
//! The comparison (setting groups, per-service settings, key agreement and its texts) is the
//! audit's analysis; `diff` renders it as two columns, with each side's origin.

use std::io::{self, Write};

use jwt_config::agreement::{self, KeyView};
use jwt_config::{Config, Problem, ProblemKind, Resolved, vars};
use serde::Serialize;

use super::audit::{self, AuditReport, Audited, Status};
use super::report::{
    OriginJson, ProblemJson, Purpose, WarningJson, clean, origin_text, problem_text,
    report_unreadable, to_json, warning_text,
};
use super::{Outcome, env_file};
use crate::args::{DiffArgs, Format};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// `diff`: both files alone, compared by the audit's analysis.
pub(crate) fn diff<T: Config>(
    args: &DiffArgs,
    keys_of: Option<fn(&T) -> KeyView>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    let mut sides: Vec<Audited<T>> = Vec::new();
    for path in [&args.a, &args.b] {
        match env_file(path, true, &args.allow_file_dirs) {
            Ok(file) => sides.push(audit::env_file(
                path.display().to_string(),
                &file,
                args.environment,
            )),
            Err(error) => return report_unreadable(&error, args.format, out),
        }
    }
    let analysis = AuditReport::new(&sides, Vec::new(), keys_of, args.strict);
    let [a, b] = [&sides[0], &sides[1]];
    let report = DiffReport::new(a, b, &analysis, keys_of);
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        // Markdown is refused when the command line is parsed (`text_or_json`).
        Format::Text | Format::Markdown | Format::Sarif | Format::Junit => {
            write_diff_text(&report, style, out)?
        }
    }
    // The analysis's verdict (with --strict, a warning of either file fails), and the pair's.
    Ok(if analysis.passed && report.agree {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// What `diff` reports, for people (text) and programs (JSON) alike.
#[derive(Serialize)]
struct DiffReport {
    /// Both files load and every shared setting and key agrees.
    agree: bool,
    files: [DiffFile; 2],
    /// Shared settings whose effective values differ.
    differences: Vec<DiffEntry>,
    /// Settings of one service that differ (shown, not counted).
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
    /// Why not, naming the variables and the fixes (the audit's text of the gap).
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
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
    fn of<T>(side: &Audited<T>) -> Self {
        DiffFile {
            path: side.name.clone(),
            valid: side.status == Status::Valid,
            problems: side.problems.iter().map(ProblemJson::from).collect(),
            warnings: side.warnings.iter().map(WarningJson::from).collect(),
        }
    }
}

impl DiffEntry {
    /// `variable` on both sides; `None` unless both loaded.
    fn of<T>(variable: &str, secret: bool, a: &Audited<T>, b: &Audited<T>) -> Option<Self> {
        Some(DiffEntry {
            variable: variable.to_owned(),
            secret,
            a: DiffSide::of(resolved(a, variable)?),
            b: DiffSide::of(resolved(b, variable)?),
        })
    }
}

/// `variable` as `side` resolved it, where it loaded.
fn resolved<'a, T>(side: &'a Audited<T>, variable: &str) -> Option<&'a Resolved> {
    let loaded = side.loaded.as_ref()?;
    loaded.variables.iter().find(|v| v.variable() == variable)
}

impl DiffReport {
    fn new<T>(
        a: &Audited<T>,
        b: &Audited<T>,
        analysis: &AuditReport,
        keys_of: Option<fn(&T) -> KeyView>,
    ) -> Self {
        let mut report = DiffReport {
            agree: false,
            files: [DiffFile::of(a), DiffFile::of(b)],
            differences: analysis
                .differences
                .iter()
                .filter_map(|d| DiffEntry::of(&d.variable, d.secret, a, b))
                .collect(),
            per_service: analysis
                .per_service
                .iter()
                .filter(|p| p.differs)
                .filter_map(|p| DiffEntry::of(&p.variable, p.secret, a, b))
                .collect(),
            not_compared: analysis.not_compared.clone(),
            problems: Vec::new(),
            keys: Vec::new(),
            unshared_verification_keys: Vec::new(),
        };
        let loaded = a.loaded.as_ref().zip(b.loaded.as_ref());
        if let (Some(keys_of), Some((loaded_a, loaded_b))) = (keys_of, loaded) {
            let views = [keys_of(&loaded_a.value), keys_of(&loaded_b.value)];
            report.keys_of_pair(&views, analysis);
        }
        report.agree = loaded.is_some()
            && report.differences.is_empty()
            && report.problems.is_empty()
            && report.not_compared.is_empty()
            && report.keys.iter().all(|k| k.accepted);
        report
    }

    /// The analysis's key gaps between the two, and, for each signing key without one, that
    /// the other side accepts it; a key of one side only; two files for one service.
    fn keys_of_pair(&mut self, views: &[KeyView; 2], analysis: &AuditReport) {
        let names = [0, 1].map(|i| self.files[i].path.clone());
        let refused = |signer: &str, verifier: &str, key_id: &str, service_calls: bool| {
            analysis.key_gaps.iter().any(|g| {
                g.signer == signer
                    && g.service_calls == service_calls
                    && g.key_id.as_deref() == Some(key_id)
                    && g.services.iter().any(|s| s == verifier)
            })
        };
        // One file given twice is one service: one direction, no gap counted twice.
        let same_file = names[0] == names[1];
        let directions: &[(usize, usize)] = if same_file {
            &[(0, 1)]
        } else {
            &[(0, 1), (1, 0)]
        };
        for &(i, j) in directions {
            let (signer, verifier) = (&names[i], &names[j]);
            for key in views[i].token_keys.iter().filter(|k| k.signs) {
                if !refused(signer, verifier, &key.id, false) {
                    self.keys.push(KeyDirection::accepted(
                        signer,
                        verifier,
                        Purpose::Tokens,
                        &key.id,
                    ));
                }
            }
            // Whether the receiver checks the caller's calls at all, by the one rule: a
            // caller that signed nothing would be refused.
            let unsigned = KeyView::new(views[i].service_id.clone(), Vec::new(), Vec::new(), None);
            let checked = agreement::service_call_gap(&unsigned, &views[j]).is_some();
            for key in views[i].service_call_keys.iter().filter(|k| k.signs) {
                if checked && !refused(signer, verifier, &key.id, true) {
                    self.keys.push(KeyDirection::accepted(
                        signer,
                        verifier,
                        Purpose::ServiceCalls,
                        &key.id,
                    ));
                }
            }
            self.gaps(analysis, |gap_signer, gap_verifier| {
                gap_signer == signer && gap_verifier == verifier
            });
        }
        if !same_file {
            // A gap of a side with itself (a key it signs with and does not verify).
            self.gaps(analysis, |gap_signer, gap_verifier| {
                gap_signer == gap_verifier
            });
        }
        for (own, other) in [(&views[0], &views[1]), (&views[1], &views[0])] {
            for key in own.token_keys.iter().filter(|k| !k.signs) {
                if !other.token_keys.iter().any(|o| o.same_key(key)) {
                    self.unshared_verification_keys.push(key.id.clone());
                }
            }
        }
        if views[0].service_id == views[1].service_id {
            self.problems.push(ProblemJson::from(&Problem::new(
                vars::SERVICE_ID,
                ProblemKind::Conflict,
                "is the same in both files: two services never share an id (a copied env file?)",
            )));
        }
    }
}

impl DiffReport {
    /// The analysis's key gaps from one signer to one verifier that `between` selects.
    fn gaps(&mut self, analysis: &AuditReport, between: impl Fn(&str, &str) -> bool) {
        for gap in &analysis.key_gaps {
            for verifier in gap.services.iter().filter(|v| between(&gap.signer, v)) {
                self.keys.push(KeyDirection {
                    signer: gap.signer.clone(),
                    verifier: verifier.clone(),
                    purpose: if gap.service_calls {
                        Purpose::ServiceCalls
                    } else {
                        Purpose::Tokens
                    },
                    key_id: gap.key_id.clone(),
                    accepted: false,
                    problem: Some(gap.message.clone()),
                });
            }
        }
    }
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
        0 if !report.not_compared.is_empty() => writeln!(
            out,
            "not every shared setting could be compared (not compared: {}); use secrets of at least 32 bytes",
            report
                .not_compared
                .iter()
                .map(|n| clean(n).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
