//! `status URL...`: the fleet as it runs, from each service's health document (jwt-config-axum's
//! `health` handler): one line a service, SYNCED where its effective fingerprint and key ids
//! agree with the fleet's majority and no peer it calls has seen its settings differ, DRIFTED
//! (naming what differs), UNREACHABLE; and its refusals since it started.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use jwt_config::{Drift, compare_settings};
use serde::{Deserialize, Serialize};

use super::report::{clean, to_json};
use super::{Outcome, UsageError};
use crate::args::{Format, StatusArgs};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// The largest health document read.
const MAX_BODY: u64 = 1 << 20;

/// What `status` reads of a health document; what it does not know, it leaves.
#[derive(Deserialize)]
struct Health {
    service_id: String,
    #[serde(default)]
    effective_fingerprint: Option<String>,
    #[serde(default)]
    settings_digests: Option<String>,
    #[serde(default)]
    setting_names: Vec<String>,
    #[serde(default)]
    key_ids: Vec<String>,
    #[serde(default)]
    refusals: BTreeMap<String, u64>,
    #[serde(default)]
    drifts: Vec<DriftSeen>,
}

#[derive(Deserialize)]
struct DriftSeen {
    caller: String,
    #[serde(default)]
    settings: Vec<String>,
}

impl DriftSeen {
    /// What differed, as a peer's health document says it (escaped: the caller chose it).
    fn differing(&self) -> String {
        if self.settings.is_empty() {
            "settings it does not name".to_owned()
        } else {
            clean(&self.settings.join(", ")).into_owned()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Verdict {
    Synced,
    Drifted,
    Unreachable,
}

#[derive(Serialize)]
struct ServiceStatus {
    url: String,
    status: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    key_ids: Vec<String>,
    /// Refusals since the service started, by reason.
    refusals: BTreeMap<String, u64>,
    /// Why it is drifted or unreachable, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    why: Vec<String>,
    /// Drift it saw of callers not in the list (the run fails).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    seen: Vec<String>,
}

#[derive(Serialize)]
struct StatusReport {
    passed: bool,
    services: Vec<ServiceStatus>,
}

/// The health document's address: the URL as given, or its `/health` where it names none.
fn health_url(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let path = trimmed
        .split_once("://")
        .map_or(trimmed, |(_, rest)| rest)
        .split_once('/')
        .map_or("", |(_, path)| path);
    if path.is_empty() {
        format!("{trimmed}/health")
    } else {
        trimmed.to_owned()
    }
}

fn fetch(agent: &ureq::Agent, url: &str) -> Result<Health, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "HTTP {} (a redirect, not followed: give the service's own URL)",
            status.as_u16()
        ));
    }
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&body)
        .map_err(|e| format!("not a health document of jwt-config-axum: {e}"))
}

/// Every URL of the command line and of `--file` (one a line; `#` starts a comment).
fn urls(args: &StatusArgs) -> Result<Vec<String>, UsageError> {
    let mut urls = args.urls.clone();
    if let Some(file) = &args.file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            UsageError::new(format!(
                "cannot read {}: {e}",
                clean(&file.display().to_string())
            ))
        })?;
        urls.extend(
            text.lines()
                .map(|line| line.split('#').next().unwrap_or_default().trim())
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    if urls.is_empty() {
        return Err(UsageError::new(
            "give the services' URLs, or --file with one a line".to_owned(),
        ));
    }
    Ok(urls)
}

pub(crate) fn status(args: &StatusArgs, style: Style, out: &mut dyn Write) -> Outcome {
    let urls = urls(args)?;
    // A redirect could answer with another service's document: it is not followed.
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(args.timeout_seconds)))
        .http_status_as_error(false)
        .max_redirects(0)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    // Every service at once: the slowest one bounds the run, not their sum.
    let fetched: Vec<(String, Result<Health, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = urls
            .iter()
            .map(|url| {
                let (agent, url) = (&agent, health_url(url));
                scope.spawn(move || {
                    let health = fetch(agent, &url);
                    (url, health)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| (String::new(), Err("the fetch failed".to_owned())))
            })
            .collect()
    });
    let report = judge(fetched);
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        _ => write_text(&report, style, out)?,
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// Each service against the fleet's majority and against what its peers saw of it.
fn judge(fetched: Vec<(String, Result<Health, String>)>) -> StatusReport {
    let reachable: Vec<&Health> = fetched
        .iter()
        .filter_map(|(_, h)| h.as_ref().ok())
        .collect();
    let mut groups: BTreeMap<(Option<&str>, Vec<&str>), usize> = BTreeMap::new();
    for health in &reachable {
        let mut keys: Vec<&str> = health.key_ids.iter().map(String::as_str).collect();
        keys.sort_unstable();
        *groups
            .entry((health.effective_fingerprint.as_deref(), keys))
            .or_default() += 1;
    }
    let largest = groups.values().copied().max().unwrap_or_default();
    let tied = groups.values().filter(|n| **n == largest).count() > 1;
    let majority = groups
        .iter()
        .find(|(_, n)| **n == largest)
        .map(|(key, _)| key.clone());
    let services = fetched
        .iter()
        .map(|(url, health)| {
            let health = match health {
                Ok(health) => health,
                Err(why) => {
                    return ServiceStatus {
                        url: url.clone(),
                        seen: Vec::new(),
                        status: Verdict::Unreachable,
                        service_id: None,
                        fingerprint: None,
                        key_ids: Vec::new(),
                        refusals: BTreeMap::new(),
                        why: vec![clean(why).into_owned()],
                    };
                }
            };
            let mut why = Vec::new();
            let mut keys: Vec<&str> = health.key_ids.iter().map(String::as_str).collect();
            keys.sort_unstable();
            let own = (health.effective_fingerprint.as_deref(), keys);
            if health.effective_fingerprint.is_none() {
                why.push("it has no effective fingerprint (build its JwtAuth with JwtAuth::from_loaded)".to_owned());
            } else if tied {
                why.push(format!(
                    "the fleet has no majority: {} groups of {largest} agree on their settings and keys",
                    groups.values().filter(|n| **n == largest).count()
                ));
            } else if majority.as_ref() != Some(&own) {
                let (fingerprint, keys) = majority.clone().unwrap_or_default();
                if fingerprint != own.0 {
                    // Named by the one rule a receiver names a caller's drift with.
                    let named = reachable
                        .iter()
                        .find(|r| r.effective_fingerprint.as_deref() == fingerprint)
                        .map(|r| {
                            let names: Vec<&str> =
                                r.setting_names.iter().map(String::as_str).collect();
                            let ours = r.settings_digests.as_deref().unwrap_or_default();
                            compare_settings(&names, ours, health.settings_digests.as_deref())
                        });
                    let what = match named {
                        Some(Drift::Settings(names)) => format!(": {}", clean(&names.join(", "))),
                        Some(Drift::OtherSchema) => {
                            ": it was built with another schema of the JWT settings".to_owned()
                        }
                        _ => String::new(),
                    };
                    why.push(format!(
                        "its shared settings differ from the fleet's majority ({largest} of {}){what}",
                        reachable.len()
                    ));
                }
                if keys != own.1 {
                    let shown = |ids: &[&str]| {
                        ids.iter().map(|id| clean(id).into_owned()).collect::<Vec<_>>().join(", ")
                    };
                    why.push(format!(
                        "its key ids ({}) differ from the majority's ({})",
                        shown(&own.1),
                        shown(&keys)
                    ));
                }
            }
            for peer in &reachable {
                for drift in peer.drifts.iter().filter(|d| d.caller == health.service_id) {
                    why.push(format!(
                        "{} saw its calls differ in {}",
                        clean(&peer.service_id),
                        drift.differing()
                    ));
                }
            }
            // Callers not in the list that this service saw drift: said here, and the run fails.
            let listed = |id: &str| reachable.iter().any(|p| p.service_id == id);
            let mut seen = Vec::new();
            for drift in health.drifts.iter().filter(|d| !listed(&d.caller)) {
                seen.push(format!(
                    "it saw calls of {} (not in the list) differ in {}",
                    clean(&drift.caller),
                    drift.differing()
                ));
            }
            ServiceStatus {
                url: url.clone(),
                seen,
                status: if why.is_empty() {
                    Verdict::Synced
                } else {
                    Verdict::Drifted
                },
                service_id: Some(health.service_id.clone()),
                fingerprint: health.effective_fingerprint.clone(),
                key_ids: health.key_ids.clone(),
                refusals: health.refusals.clone(),
                why,
            }
        })
        .collect::<Vec<_>>();
    StatusReport {
        passed: services
            .iter()
            .all(|s| s.status == Verdict::Synced && s.seen.is_empty()),
        services,
    }
}

fn write_text(report: &StatusReport, style: Style, out: &mut dyn Write) -> std::io::Result<()> {
    for service in &report.services {
        let word = match service.status {
            Verdict::Synced => style.good("SYNCED     "),
            Verdict::Drifted => style.bad("DRIFTED    "),
            Verdict::Unreachable => style.bad("UNREACHABLE"),
        };
        let id = service.service_id.as_deref().map(clean).unwrap_or_default();
        let mut line = format!("{word} {id:<12} {}", clean(&service.url));
        if let Some(fingerprint) = &service.fingerprint {
            line.push_str(&format!("  {}", clean(fingerprint)));
        }
        if service.status != Verdict::Unreachable {
            let total: u64 = service.refusals.values().sum();
            line.push_str(&format!("  refusals {total}"));
        }
        writeln!(out, "{line}")?;
        for why in service.why.iter().chain(&service.seen) {
            writeln!(out, "    {why}")?;
        }
    }
    let count = |verdict: Verdict| {
        report
            .services
            .iter()
            .filter(|s| s.status == verdict)
            .count()
    };
    writeln!(
        out,
        "{} services: {} synced, {} drifted, {} unreachable",
        report.services.len(),
        count(Verdict::Synced),
        count(Verdict::Drifted),
        count(Verdict::Unreachable)
    )
}

#[cfg(test)]
mod tests {
    use super::health_url;

    #[test]
    fn a_url_without_a_path_reads_its_health_document() {
        assert_eq!(health_url("http://a:3002"), "http://a:3002/health");
        assert_eq!(health_url("http://a:3002/"), "http://a:3002/health");
        assert_eq!(health_url("http://a:3002/healthz"), "http://a:3002/healthz");
    }
}
