//! `docs/alerts.yaml`: every metric, reason and outcome its rules name is one this crate
//! records, and `promtool` (Debian's `prometheus` package; `scripts/test.sh` installs it
//! where missing) checks the rules and runs their unit tests (`docs/alerts.test.yaml`).

use std::path::Path;
use std::process::Command;

use jwt_config_axum::{RefusalReason, metric_names};

const RULES: &str = include_str!("../../docs/alerts.yaml");

#[test]
fn the_rules_name_only_metrics_and_labels_this_crate_records() {
    let names = [
        metric_names::REFUSALS,
        metric_names::SERVICE_CALLS,
        metric_names::DRIFT_EVENTS,
        metric_names::REPLAY_GUARD,
        metric_names::INFO,
    ];
    let used: Vec<&str> = RULES
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("jwt_config_"))
        .collect();
    assert!(used.len() >= 4, "{used:?}");
    for metric in used {
        assert!(
            names.contains(&metric),
            "{metric} is not a metric of jwt-config-axum"
        );
    }
    for reason in ["bad_signature", "unknown_key_id"] {
        assert!(RULES.contains(&format!("reason=\"{reason}\"")));
        assert!(
            RefusalReason::ALL.iter().any(|r| r.as_str() == reason),
            "{reason} is not a refusal reason"
        );
    }
    assert!(RULES.contains("outcome=\"unavailable\""));
}

#[test]
fn promtool_checks_the_rules_and_runs_their_unit_tests() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".to_owned());
    for args in [
        ["check", "rules", "alerts.yaml"],
        ["test", "rules", "alerts.test.yaml"],
    ] {
        let output = Command::new(&promtool)
            .args(args)
            .current_dir(&docs)
            .output()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run `{promtool}` ({error}): run scripts/test.sh, which installs Debian's \
                     prometheus package (promtool) where it is missing, or set PROMTOOL"
                )
            });
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "promtool {args:?}: {text}");
        assert!(text.contains("SUCCESS"), "{text}");
    }
}
