//! `audit --format sarif` and `--format junit`, read back through the formats' typed models
//! (`serde-sarif`, `quick-junit`): what a CI system shows is what the text report says.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde_sarif::sarif::Sarif;

fn example(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/k8s")
        .join(dir)
}

fn audit(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("jwt-config")
        .unwrap()
        .env_clear()
        .arg("audit")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// A fleet with a drifted secret and a typo, and an env file with an invalid value on line 3.
fn broken_fleet() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("search.env");
    std::fs::write(
        &env,
        "ENVIRONMENT=production\nSERVICE_ID=search\nJWT_LEEWAY_SECONDS=many\n",
    )
    .unwrap();
    let inputs = vec![
        example("fleet").display().to_string(),
        example("variants/drifted-secret").display().to_string(),
        example("variants/typo").display().to_string(),
        env.display().to_string(),
    ];
    (dir, inputs)
}

#[test]
fn sarif_is_a_sarif_2_1_0_log_with_a_located_result_a_problem() {
    let (_dir, inputs) = broken_fleet();
    let mut args: Vec<&str> = vec!["--format", "sarif"];
    args.extend(inputs.iter().map(String::as_str));
    let (code, out) = audit(&args);
    assert_eq!(code, 1, "{out}");
    let log: Sarif = serde_json::from_str(&out).expect("the typed SARIF model reads it");
    assert_eq!(log.version, serde_json::Value::from("2.1.0"));
    let run = &log.runs[0];
    assert_eq!(run.tool.driver.name, "jwt-config");
    let rules: Vec<&str> = run
        .tool
        .driver
        .rules
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let results = run.results.as_ref().unwrap();
    for result in results {
        let rule = result.rule_id.as_deref().unwrap();
        assert!(rules.contains(&rule), "{rule}");
        let index = usize::try_from(result.rule_index.unwrap()).unwrap();
        assert_eq!(rules[index], rule);
        assert!(!result.locations.as_ref().unwrap().is_empty(), "{out}");
    }
    let by_rule = |rule: &'static str| {
        results
            .iter()
            .filter(move |r| r.rule_id.as_deref() == Some(rule))
    };
    // The invalid value: at its env file and line.
    let problem = by_rule("service-problem")
        .find(|r| {
            r.message
                .text
                .as_deref()
                .unwrap()
                .contains("JWT_LEEWAY_SECONDS")
        })
        .expect(&out);
    let location = problem.locations.as_ref().unwrap()[0]
        .physical_location
        .as_ref()
        .unwrap();
    let uri = location
        .artifact_location
        .as_ref()
        .unwrap()
        .uri
        .as_deref()
        .unwrap();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("search.env"),
        "{uri}"
    );
    assert_eq!(location.region.as_ref().unwrap().start_line, Some(3));
    assert!(
        problem
            .message
            .text
            .as_deref()
            .unwrap()
            .contains("JWT_LEEWAY_SECONDS")
    );
    // The typo, a warning at the manifest that makes it.
    let warning = by_rule("service-warning").next().expect(&out);
    assert!(
        warning
            .message
            .text
            .as_deref()
            .unwrap()
            .contains("JWT_ACCES_TOKEN")
    );
    // The drifted secret: a key gap or a difference, never the secret itself.
    assert!(
        by_rule("key-gap").count() + by_rule("shared-setting-differs").count() > 0,
        "{out}"
    );
    assert!(!out.contains("fake-k8s-example"), "{out}");
}

#[test]
fn junit_has_a_test_case_a_service_and_a_shared_setting_and_strict_fails_warnings() {
    let (_dir, inputs) = broken_fleet();
    let mut args: Vec<&str> = vec!["--format", "junit"];
    args.extend(inputs.iter().map(String::as_str));
    let (code, out) = audit(&args);
    assert_eq!(code, 1, "{out}");
    let report = Report::deserialize_from_str(&out).expect("quick-junit reads it");
    let suite = |name: &str| {
        report
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == name)
            .unwrap_or_else(|| panic!("{name}: {out}"))
    };
    let failed = |status: &TestCaseStatus| {
        matches!(
            status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        )
    };
    let services = suite("services");
    assert_eq!(services.test_cases.len(), 5, "{out}");
    let search = services
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "search")
        .unwrap();
    assert!(failed(&search.status), "{out}");
    // The typo warns: not a failure, unless --strict.
    let typo = |report: &Report| {
        let services = report
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "services")
            .unwrap();
        let case = services
            .test_cases
            .iter()
            .find(|c| c.name.as_str().contains("billing:billing"))
            .unwrap();
        failed(&case.status)
    };
    assert!(!typo(&report), "{out}");
    let shared = suite("shared settings");
    let names: Vec<&str> = shared.test_cases.iter().map(|c| c.name.as_str()).collect();
    for name in ["JWT_ISSUER", "JWT_AUDIENCE", "keys"] {
        assert!(names.contains(&name), "{name}: {out}");
    }
    assert!(shared.test_cases.iter().any(|c| failed(&c.status)), "{out}");
    args.push("--strict");
    let (_, strict) = audit(&args);
    let report = Report::deserialize_from_str(&strict).unwrap();
    assert!(typo(&report), "{strict}");
    // A fleet that passes has no failure at all.
    let fleet = example("fleet").display().to_string();
    let (code, out) = audit(&["--format", "junit", "--strict", &fleet]);
    assert_eq!(code, 0, "{out}");
    let report = Report::deserialize_from_str(&out).unwrap();
    assert!(
        report
            .test_suites
            .iter()
            .all(|s| s.test_cases.iter().all(|c| !failed(&c.status)))
    );
}

#[test]
fn other_commands_and_rollouts_refuse_the_ci_formats() {
    let fleet = example("fleet").display().to_string();
    let (code, _) = audit(&["--format", "sarif", "--before", &fleet, "--after", &fleet]);
    assert_eq!(code, 2);
    let output = Command::cargo_bin("jwt-config")
        .unwrap()
        .env_clear()
        .args(["check", "--no-process-env", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn whatever_fails_the_audit_fails_the_ci_reports_too() {
    let dir = tempfile::tempdir().unwrap();
    // No service at all, and a service whose Secret is not in the input: both exit 1.
    let only_objects = dir.path().join("objects.yaml");
    std::fs::write(
        &only_objects,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: jwt}\ndata: {ENVIRONMENT: production}\n",
    )
    .unwrap();
    let unchecked = dir.path().join("unchecked.yaml");
    std::fs::write(
        &unchecked,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders}\nspec: {template: {spec: {containers: [{name: app, envFrom: [{secretRef: {name: absent}}]}]}}}\n",
    )
    .unwrap();
    for input in [&only_objects, &unchecked] {
        let input = input.to_str().unwrap();
        let (code, _) = audit(&[input]);
        assert_eq!(code, 1, "{input}");
        let (code, xml) = audit(&["--format", "junit", input]);
        assert_eq!(code, 1);
        let report = Report::deserialize_from_str(&xml).unwrap();
        let fleet = report
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == "fleet")
            .unwrap();
        assert!(
            matches!(
                fleet.test_cases[0].status,
                TestCaseStatus::NonSuccess {
                    kind: NonSuccessKind::Failure,
                    ..
                }
            ),
            "{xml}"
        );
        let (code, json) = audit(&["--format", "sarif", input]);
        assert_eq!(code, 1);
        let log: Sarif = serde_json::from_str(&json).unwrap();
        let results = log.runs[0].results.as_ref().unwrap();
        assert!(
            results
                .iter()
                .any(|r| r.rule_id.as_deref() == Some("audit-failed")),
            "{json}"
        );
    }
}
