//! Rendering for a pull-request comment.

use std::io::{self, Write};

use super::analysis::{AuditReport, ServiceJson};
use super::load::Status;
use super::rollout::RolloutReport;
use super::text::{fix_first_text, group_label, summary_line, unchecked_values};
use crate::commands::report::clean;

/// Markdown for a pull-request comment: a summary, a table of services that are not valid,
/// the differences, the key gaps; per-service values folded away.
pub(crate) fn write_markdown(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let verdict = if report.passed { "passed" } else { "failed" };
    writeln!(out, "### jwt-config audit {verdict}\n")?;
    writeln!(out, "{}.\n", summary_line(report))?;
    if let Some(fix) = &report.summary.fix_first {
        writeln!(out, "**Fix first:** {}\n", md(&fix_first_text(fix)))?;
    } else if let Some(services) = unchecked_values(report) {
        writeln!(
            out,
            "**Not checked:** values of {} (see below; `--strict` fails on those supplied at deploy time)\n",
            md_names(&services)
        )?;
    }
    let attention: Vec<&ServiceJson> = report
        .services
        .iter()
        .filter(|s| {
            s.status != Status::Valid && s.status != Status::Sidecar
                || !s.warnings.is_empty()
                || !s.not_checked.is_empty()
        })
        .collect();
    if !attention.is_empty() {
        writeln!(out, "| service | status | details |\n| --- | --- | --- |")?;
        for service in attention {
            let mut details: Vec<String> = service
                .problems
                .iter()
                .map(|p| format!("`{}`: {}", md_code(&p.variable), md(&p.message)))
                .collect();
            details.extend(
                service
                    .not_checked
                    .iter()
                    .map(|u| format!("not checked: {}", md(&u.reason))),
            );
            details.extend(
                service
                    .warnings
                    .iter()
                    .map(|w| format!("warning `{}`: {}", md_code(&w.variable), md(&w.message))),
            );
            writeln!(
                out,
                "| `{}` | {} | {} |",
                md_code(&service.name),
                service.status.word(),
                details.join("<br>")
            )?;
        }
        writeln!(out)?;
    }
    if !report.differences.is_empty() {
        writeln!(out, "| setting | value | services |\n| --- | --- | --- |")?;
        for difference in &report.differences {
            for (index, group) in difference.groups.iter().enumerate() {
                let setting = if index == 0 {
                    format!("`{}`", md_code(&difference.variable))
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "| {setting} | {} | {} |",
                    md(&group_label(group, difference.secret, index)),
                    md_names(&group.services)
                )?;
            }
        }
        writeln!(out)?;
    }
    for gap in &report.key_gaps {
        writeln!(out, "- keys: {}", md(&gap.message))?;
    }
    for stale in &report.stale_keys {
        writeln!(out, "- stale keys: {}", md(&stale.message))?;
    }
    write_call_graph(report, out)?;
    if !report.per_service.is_empty() {
        writeln!(
            out,
            "<details><summary>Per-service settings (not counted)</summary>\n"
        )?;
        writeln!(out, "| setting | service | value |\n| --- | --- | --- |")?;
        for entry in &report.per_service {
            for value in &entry.values {
                let shown = match (&value.value, value.set) {
                    (Some(v), _) => format!("`{}`", md_code(v)),
                    (None, true) => "(secret)".to_owned(),
                    (None, false) => "(unset)".to_owned(),
                };
                writeln!(
                    out,
                    "| `{}` | `{}` | {shown} |",
                    md_code(&entry.variable),
                    md_code(&value.service)
                )?;
            }
        }
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}

/// Who may call whom, as a Mermaid flowchart (GitHub and GitLab draw it in a comment): a
/// dotted edge where the receiver cannot verify the caller's key.
fn write_call_graph(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    if report.calls.iter().all(|c| c.callers.is_empty()) {
        return Ok(());
    }
    let mut nodes: Vec<&str> = Vec::new();
    writeln!(out, "\n**Service calls** (who may call whom):\n")?;
    writeln!(out, "```mermaid\nflowchart LR")?;
    for calls in &report.calls {
        for caller in &calls.callers {
            let from = node(&mut nodes, &caller.service);
            let to = node(&mut nodes, &calls.receiver);
            let edge = if caller.key_missing {
                "-. key missing .->"
            } else {
                "-->"
            };
            writeln!(out, "  {from} {edge} {to}")?;
        }
    }
    writeln!(out, "```")?;
    let open: Vec<String> = report
        .calls
        .iter()
        .filter(|c| c.every_service)
        .map(|c| c.receiver.clone())
        .collect();
    if !open.is_empty() {
        writeln!(
            out,
            "\nAccept calls from every service (`SERVICE_ALLOWED_CALLERS` `*`, or unset in development): {}",
            md_names(&open)
        )?;
    }
    writeln!(out)
}

/// A service's node, numbered: its name is a label, never Mermaid syntax.
fn node<'r>(nodes: &mut Vec<&'r str>, name: &'r str) -> String {
    let index = nodes.iter().position(|n| *n == name).unwrap_or_else(|| {
        nodes.push(name);
        nodes.len() - 1
    });
    format!("s{index}[\"{}\"]", mermaid_label(name))
}

/// A node's label in Mermaid: control characters escaped, quotes and markup as entities.
fn mermaid_label(name: &str) -> String {
    clean(name)
        .replace('&', "#amp;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// Text inside a Markdown table cell: control characters escaped, pipes and markup
/// characters neutralised.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if matches!(c, '|' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Service names as code spans, comma-separated.
fn md_names(services: &[String]) -> String {
    let names: Vec<String> = services
        .iter()
        .map(|s| format!("`{}`", md_code(s)))
        .collect();
    names.join(", ")
}

/// Text inside a code span in a table cell: no backticks, pipes escaped.
fn md_code(text: &str) -> String {
    clean(text).replace('`', "'").replace('|', "\\|")
}

/// `audit --before --after` as a pull-request comment.
pub(crate) fn write_rollout(report: &RolloutReport, out: &mut dyn Write) -> io::Result<()> {
    let verdict = if report.passed { "passed" } else { "failed" };
    writeln!(out, "### jwt-config rollout audit {verdict}\n")?;
    writeln!(out, "{}\n", md(&report.verdict()))?;
    for (label, line) in report.lines() {
        writeln!(out, "- **{label}** {}", md(&line))?;
    }
    Ok(())
}
