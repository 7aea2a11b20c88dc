//! Rendering for CI systems: SARIF 2.1.0 (code scanning: one result a problem or difference,
//! located at the input and, where known, the line) and JUnit XML (one test case a service,
//! one a shared setting). Both are built with the formats' typed models (`serde-sarif`,
//! `quick-junit`), never written by hand.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::analysis::AuditReport;
use super::load::Status;
use super::named;
use super::text::{fix_first_text, group_label};
use crate::commands::report::clean;

/// One kind of result: its rule id and what it means.
const RULES: [(&str, &str); 7] = [
    (
        "audit-failed",
        "The audit fails: what to fix first (every cause of a failing exit code, as the text says it).",
    ),
    (
        "service-problem",
        "A service does not load or start: a variable is missing, invalid or breaks a rule.",
    ),
    (
        "service-warning",
        "A service loads with a warning (a failure under --strict).",
    ),
    (
        "not-checked",
        "A service's load depends on values the inputs do not hold.",
    ),
    (
        "shared-setting-differs",
        "Services disagree on a shared JWT setting.",
    ),
    (
        "key-gap",
        "A service cannot verify a key another signs with, or a caller it allows.",
    ),
    (
        "stale-key",
        "A receiver verifies a service key its service no longer signs with.",
    ),
];

/// Where a file is, as a SARIF URI: a relative path as given (GitHub reads it from the
/// repository's root), an absolute one as a `file:` URI.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    if path.starts_with('/') {
        format!("file://{path}")
    } else {
        path
    }
}

fn location(path: &str, line: Option<usize>) -> Location {
    Location {
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(ArtifactLocation {
                uri: Some(uri(path)),
                ..Default::default()
            }),
            region: line.map(|line| Region {
                start_line: Some(i64::try_from(line).unwrap_or(i64::MAX)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn result(rule: &str, level: ResultLevel, text: String, locations: Vec<Location>) -> SarifResult {
    let index = RULES
        .iter()
        .position(|(id, _)| *id == rule)
        .unwrap_or_default();
    SarifResult::builder()
        .rule_id(rule)
        .rule_index(i64::try_from(index).unwrap_or_default())
        .level(level)
        .message(Message::builder().text(text).build())
        .locations(locations)
        .build()
}

/// The report as a SARIF 2.1.0 log.
pub(crate) fn write_sarif(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let inputs: BTreeMap<&str, &str> = report
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.input.as_str()))
        .collect();
    let at = |services: &[String]| -> Vec<Location> {
        services
            .iter()
            .filter_map(|s| inputs.get(s.as_str()))
            .map(|input| location(input, None))
            .collect()
    };
    let mut results = Vec::new();
    for service in &report.services {
        let name = clean(&service.name);
        for problem in &service.problems {
            let file = problem.source.as_deref().unwrap_or(&service.input);
            results.push(result(
                "service-problem",
                ResultLevel::Error,
                format!(
                    "{name}: {}: {} ({})",
                    clean(&problem.variable),
                    clean(&problem.message),
                    problem.kind
                ),
                vec![location(file, problem.line)],
            ));
        }
        for warning in &service.warnings {
            results.push(result(
                "service-warning",
                ResultLevel::Warning,
                format!(
                    "{name}: {}: {}",
                    clean(&warning.variable),
                    clean(&warning.message)
                ),
                vec![location(&service.input, None)],
            ));
        }
        if service.status == Status::Incomplete || !service.not_checked.is_empty() {
            let reasons: Vec<String> = service
                .not_checked
                .iter()
                .map(|u| clean(&u.reason).into_owned())
                .collect();
            // A service left unchecked fails the audit, as the text's exit code says.
            let level = if service.status == Status::Incomplete {
                ResultLevel::Error
            } else {
                ResultLevel::Warning
            };
            results.push(result(
                "not-checked",
                level,
                format!("{name}: not checked: {}", reasons.join("; ")),
                vec![location(&service.input, None)],
            ));
        }
    }
    for difference in &report.differences {
        let from = usize::from(!difference.tie);
        for (index, group) in difference.groups.iter().enumerate().skip(from) {
            let label = group_label(group, difference.secret, index);
            results.push(result(
                "shared-setting-differs",
                ResultLevel::Error,
                format!(
                    "{}: {} ({label}) differ from the rest of the fleet; `jwt-config diff` two of them to see the values",
                    clean(&difference.variable),
                    named(&group.services)
                ),
                at(&group.services),
            ));
        }
    }
    for gap in &report.key_gaps {
        results.push(result(
            "key-gap",
            ResultLevel::Error,
            clean(&gap.message).into_owned(),
            at(&gap.services),
        ));
    }
    for stale in &report.stale_keys {
        let level = if stale.rotation {
            ResultLevel::Note
        } else {
            ResultLevel::Warning
        };
        results.push(result(
            "stale-key",
            level,
            clean(&stale.message).into_owned(),
            at(&stale.receivers),
        ));
    }
    // Whatever fails the audit is an error result, also a cause without a result of its own
    // (no service found, workloads of kinds not read, secrets too short to compare).
    if let Some(fix) = &report.summary.fix_first {
        let locations = report
            .services
            .first()
            .map(|s| vec![location(&s.input, None)])
            .unwrap_or_default();
        results.insert(
            0,
            result(
                "audit-failed",
                ResultLevel::Error,
                clean(&fix_first_text(fix)).into_owned(),
                locations,
            ),
        );
    }
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|(id, description)| {
            let text = MultiformatMessageString::builder()
                .text(*description)
                .build();
            ReportingDescriptor::builder()
                .id(*id)
                .short_description(text)
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("jwt-config")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let log = Sarif::builder()
        .schema(serde_sarif::sarif::SCHEMA_URL)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    let json = serde_json::to_string_pretty(&log).map_err(io::Error::other)?;
    writeln!(out, "{json}")
}

/// A failing test case with `message` and, as its text, `description`.
fn failed(name: &str, message: &str, description: &str) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message).set_description(description);
    TestCase::new(name, status)
}

/// The report as JUnit XML: the suite `services` (a test case a service, failing where it
/// does not load or, under `--strict`, warns or is not checked) and the suite
/// `shared settings` (a test case a shared setting, failing where services disagree, and one
/// for keys).
pub(crate) fn write_junit(
    report: &AuditReport,
    strict: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut services = TestSuite::new("services");
    for service in report
        .services
        .iter()
        .filter(|s| s.status != Status::Sidecar)
    {
        let name = clean(&service.name);
        let problems: Vec<String> = service
            .problems
            .iter()
            .map(|p| format!("{}: {}", clean(&p.variable), clean(&p.message)))
            .collect();
        let warnings: Vec<String> = service
            .warnings
            .iter()
            .map(|w| format!("{}: {}", clean(&w.variable), clean(&w.message)))
            .collect();
        let unchecked: Vec<String> = service
            .not_checked
            .iter()
            .map(|u| clean(&u.reason).into_owned())
            .collect();
        let deploy_time = service.not_checked.iter().any(|u| u.deploy_time);
        let mut case = match service.status {
            Status::Invalid => failed(&name, "does not load or start", &problems.join("\n")),
            Status::Incomplete => failed(&name, "not checked", &unchecked.join("\n")),
            _ if strict && deploy_time => failed(
                &name,
                "values supplied at deploy time (--strict)",
                &unchecked.join("\n"),
            ),
            _ if strict && !warnings.is_empty() => {
                failed(&name, "warnings (--strict)", &warnings.join("\n"))
            }
            _ => {
                let mut case = TestCase::new(name.as_ref(), TestCaseStatus::success());
                let said: Vec<String> = warnings.into_iter().chain(unchecked).collect();
                if !said.is_empty() {
                    case.set_system_out(said.join("\n"));
                }
                case
            }
        };
        case.set_classname(clean(&service.input).as_ref());
        services.add_test_case(case);
    }
    let mut shared = TestSuite::new("shared settings");
    for variable in &report.shared_settings {
        let case = match report.differences.iter().find(|d| &d.variable == variable) {
            Some(difference) => {
                let groups: Vec<String> = difference
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        format!(
                            "{}: {}",
                            group_label(g, difference.secret, i),
                            named(&g.services)
                        )
                    })
                    .collect();
                failed(variable, "services disagree", &groups.join("\n"))
            }
            None => TestCase::new(variable.as_str(), TestCaseStatus::success()),
        };
        shared.add_test_case(case);
    }
    let gaps: Vec<String> = report
        .key_gaps
        .iter()
        .map(|g| clean(&g.message).into_owned())
        .collect();
    shared.add_test_case(if gaps.is_empty() {
        TestCase::new("keys", TestCaseStatus::success())
    } else {
        failed("keys", "key gaps", &gaps.join("\n"))
    });
    // The verdict itself: failing exactly when the audit's exit code is 1.
    let mut fleet = TestSuite::new("fleet");
    fleet.add_test_case(match &report.summary.fix_first {
        Some(fix) => failed("audit", "the audit fails", &clean(&fix_first_text(fix))),
        None => TestCase::new("audit", TestCaseStatus::success()),
    });
    let mut junit = Report::new("jwt-config audit");
    junit.add_test_suites([services, shared, fleet]);
    let xml = junit.to_string().map_err(io::Error::other)?;
    writeln!(out, "{xml}")
}
