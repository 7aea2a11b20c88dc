//! Rendering for people at a terminal, and the sentences the Markdown shares.

use std::io::{self, Write};

use super::analysis::{AuditReport, FixFirst, Group, skipped_text};
use super::load::Status;
use super::named;
use super::rollout::RolloutReport;
use crate::commands::report::{clean, problem_text, warning_text};
use crate::fleet::WORKLOAD_KINDS;
use crate::style::Style;

pub(crate) fn group_label(group: &Group, secret: bool, index: usize) -> String {
    match (&group.value, group.set) {
        (_, false) => "(unset)".to_owned(),
        (Some(value), true) if !secret => clean(value).into_owned(),
        _ => format!("secret value #{}", index + 1),
    }
}

pub(crate) fn summary_line(report: &AuditReport) -> String {
    let s = &report.summary;
    let not_checked = if s.not_checked > 0 {
        format!(", {} not checked", s.not_checked)
    } else {
        String::new()
    };
    let mut line = format!(
        "{} service{}, {} valid{not_checked}, {} agree on everything",
        s.services,
        if s.services == 1 { "" } else { "s" },
        s.valid,
        s.agreeing
    );
    if s.skipped_sidecars > 0 {
        line.push_str(&format!(
            " ({} sidecar container(s) skipped)",
            s.skipped_sidecars
        ));
    }
    line
}

pub(crate) fn fix_first_text(fix: &FixFirst) -> String {
    match fix {
        FixFirst::NoService { skipped_kinds } => {
            let seen = if skipped_kinds.is_empty() {
                String::new()
            } else {
                format!("; seen and not read: {}", skipped_kinds.join(", "))
            };
            format!("no service found in the inputs; audit reads {WORKLOAD_KINDS}{seen}")
        }
        FixFirst::UnreadWorkloads { kinds } => format!(
            "objects of kind {} run containers, but audit does not read that kind: their services are not checked; audit reads {WORKLOAD_KINDS}",
            kinds
                .iter()
                .map(|k| clean(k).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FixFirst::Invalid { services } => format!(
            "{} {} not load or start; see the problems above",
            named(services),
            if services.len() == 1 { "does" } else { "do" }
        ),
        FixFirst::Keys {
            first_gap,
            summary_fits: false,
            ..
        } => clean(first_gap).into_owned(),
        FixFirst::Keys {
            service,
            key_ids,
            gaps,
            only_verifying,
            ..
        } => {
            let ids = key_ids
                .iter()
                .map(|k| clean(k).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            if *only_verifying {
                format!(
                    "{} cannot verify key {ids} ({gaps} signer(s)): add it to its JWT_VERIFICATION_KEYS",
                    clean(service)
                )
            } else {
                format!(
                    "{} and the fleet disagree on keys (key {ids}, {gaps} gap(s)): compare its JWT_SECRET_KEY or JWT_VERIFICATION_KEYS with the others'",
                    clean(service)
                )
            }
        }
        FixFirst::Difference {
            variable,
            services,
            of: _,
            tie: Some(size),
        } => {
            let groups = services.len() / (*size).max(1);
            let against = vec![size.to_string(); groups].join(" against ");
            format!(
                "{}: {} disagree, {against}, and nothing tells which value is meant (each is set the same way); decide, then `jwt-config diff` two of them to see the values",
                clean(variable),
                named(services)
            )
        }
        FixFirst::Difference {
            variable,
            services,
            of,
            tie: None,
        } => format!(
            "{} in {} ({} of {of} services differ from the rest); `jwt-config diff` two of them to see the values",
            clean(variable),
            named(services),
            services.len()
        ),
        FixFirst::NotChecked {
            services,
            runtime_only: false,
        } => format!(
            "{}: values supplied at deploy time; add their objects to the input",
            named(services)
        ),
        FixFirst::NotChecked {
            services,
            runtime_only: true,
        } => format!(
            "{}: not checked, their load depends on values known only at run time (fieldRef, resourceFieldRef); set those variables from values in the input to check them",
            named(services)
        ),
        FixFirst::NotCompared { variables } => format!(
            "{}: secrets shorter than 32 bytes get no digest, so whether the services agree on them cannot be told without showing them; use secrets of at least 32 bytes (as staging and production require)",
            named(variables)
        ),
        FixFirst::Warnings { services } => format!("warnings in {}", named(services)),
        FixFirst::StaleKeys { key_ids } => format!(
            "receivers verify service keys their callers no longer sign with ({}); regenerate the bundle with `jwt-config keys bundle`",
            named(key_ids)
        ),
    }
}

pub(crate) fn write_text(
    report: &AuditReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    for service in &report.services {
        let word = match service.status {
            Status::Valid => style.good("valid"),
            Status::Invalid => style.bad("invalid"),
            Status::Incomplete => style.warn("not checked"),
            Status::Sidecar => "skipped".to_owned(),
        };
        let note = if service.status == Status::Sidecar {
            "  (a container that sets no variable of the schema)"
        } else {
            ""
        };
        writeln!(
            out,
            "{word:<11} {}  ({}){note}",
            clean(&service.name),
            clean(&service.input)
        )?;
        for problem in &service.problems {
            writeln!(out, "    {}", problem_text(problem, style))?;
        }
        for unchecked in &service.not_checked {
            let variable = unchecked
                .variable
                .as_deref()
                .map_or_else(String::new, |v| format!("{}: ", clean(v)));
            writeln!(
                out,
                "    not checked: {variable}{}",
                clean(&unchecked.reason)
            )?;
        }
        for warning in &service.warnings {
            writeln!(
                out,
                "    {} {}",
                style.warn("warning"),
                warning_text(warning)
            )?;
        }
    }
    for difference in &report.differences {
        let secret = if difference.secret {
            " (secret, compared by digest)"
        } else {
            ""
        };
        writeln!(
            out,
            "{} {}{secret}",
            style.bad("differs"),
            style.name(&clean(&difference.variable))
        )?;
        for (index, group) in difference.groups.iter().enumerate() {
            writeln!(
                out,
                "    {:<24} {}",
                group_label(group, difference.secret, index),
                named(&group.services)
            )?;
        }
    }
    for gap in &report.key_gaps {
        writeln!(
            out,
            "{} keys: {}",
            style.bad("differs"),
            clean(&gap.message)
        )?;
    }
    for stale in &report.stale_keys {
        writeln!(
            out,
            "{} keys: {}",
            style.bad("stale"),
            clean(&stale.message)
        )?;
    }
    for calls in report.calls.iter().filter(|c| !c.callers.is_empty()) {
        let callers: Vec<String> = calls.callers.iter().map(|c| c.service.clone()).collect();
        let missing: Vec<String> = calls
            .callers
            .iter()
            .filter(|c| c.key_missing)
            .map(|c| c.service.clone())
            .collect();
        let mut line = format!("{} <- {}", clean(&calls.receiver), named(&callers));
        if calls.every_service {
            line.push_str(" (SERVICE_ALLOWED_CALLERS `*` or unset: every service)");
        }
        if !missing.is_empty() {
            line.push_str(&format!("; cannot verify {}", named(&missing)));
        }
        writeln!(out, "calls    {line}")?;
    }
    for entry in report
        .per_service
        .iter()
        .filter(|e| e.values.iter().any(|v| v.set))
    {
        // Grouped by value: `SERVICE_ID: auth (shop/deployment/auth); ...`.
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for value in &entry.values {
            let shown = match (&value.value, value.set) {
                (Some(v), _) => clean(v).into_owned(),
                (None, true) => "(secret, set)".to_owned(),
                (None, false) => "(unset)".to_owned(),
            };
            match groups.iter_mut().find(|(v, _)| *v == shown) {
                Some((_, services)) => services.push(value.service.clone()),
                None => groups.push((shown, vec![value.service.clone()])),
            }
        }
        let text: Vec<String> = groups
            .iter()
            .map(|(value, services)| format!("{value} ({})", named(services)))
            .collect();
        writeln!(
            out,
            "per service, not counted: {}: {}",
            clean(&entry.variable),
            text.join("; ")
        )?;
    }
    for name in &report.not_compared {
        writeln!(
            out,
            "not compared: {} (a secret shorter than 32 bytes gets no digest)",
            clean(name)
        )?;
    }
    // Kinds without containers (Services, Ingresses) are in the JSON; these hold services.
    for kind in report.skipped_kinds.iter().filter(|k| k.runs_containers) {
        writeln!(out, "not read: kind {}", skipped_text(kind))?;
    }
    for path in &report.repeated_directories {
        writeln!(out, "not read again: {}", clean(path))?;
    }
    writeln!(out, "{}", summary_line(report))?;
    match &report.summary.fix_first {
        Some(fix) => writeln!(out, "{} {}", style.bad("fix first:"), fix_first_text(fix)),
        None => match unchecked_values(report) {
            Some(services) => writeln!(
                out,
                "{} every service valid and agreeing as far as checked; values not checked in {} (see above; --strict fails on those supplied at deploy time)",
                style.warn("passed,"),
                named(&services)
            ),
            None => writeln!(out, "{} every service valid and agreeing", style.good("ok")),
        },
    }
}

/// The services with values the inputs cannot tell: "ok" would not be true of them.
pub(crate) fn unchecked_values(report: &AuditReport) -> Option<Vec<String>> {
    let services: Vec<String> = report
        .services
        .iter()
        .filter(|s| s.status != Status::Sidecar && !s.not_checked.is_empty())
        .map(|s| s.name.clone())
        .collect();
    (!services.is_empty()).then_some(services)
}

/// `audit --before --after` for people at a terminal.
pub(crate) fn write_rollout(
    report: &RolloutReport,
    style: Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    for (label, line) in report.lines() {
        let label = match label {
            "invalid" | "breaks" => style.bad(&format!("{label:<8}")),
            "note" => style.warn(&format!("{label:<8}")),
            _ => format!("{label:<8}"),
        };
        writeln!(out, "{label} {line}")?;
    }
    let verdict = report.verdict();
    if report.passed {
        writeln!(out, "{}", style.good(&verdict))
    } else {
        writeln!(out, "{}", style.bad(&verdict))
    }
}
