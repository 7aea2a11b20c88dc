//! `audit --before --after`: the Kubernetes rotation runbook of `examples/k8s/rotation/`, step
//! by step and in the wrong order, and rollouts of env-file fleets that change a service
//! secret, the services and their callers.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn rotation(step: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/k8s/rotation")
        .join(step)
}

fn run(args: &[&str]) -> (i32, String) {
    let output = Command::cargo_bin("jwt-config")
        .unwrap()
        .env_clear()
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), text)
}

fn rollout(before: &Path, after: &Path, format: &str) -> (i32, String) {
    let (before, after) = (before.to_str().unwrap(), after.to_str().unwrap());
    run(&[
        "audit", "--before", before, "--after", after, "--format", format,
    ])
}

const STEPS: [&str; 4] = [
    "step-0-k1",
    "step-1-trust-k2",
    "step-2-sign-k2",
    "step-3-drop-k1",
];

#[test]
fn every_step_of_the_runbook_passes_strict_and_every_next_step_keeps_live_tokens_valid() {
    for step in STEPS {
        let (code, out) = run(&["audit", "--strict", rotation(step).to_str().unwrap()]);
        assert_eq!(code, 0, "{step}: {out}");
    }
    for pair in STEPS.windows(2) {
        let (code, out) = rollout(&rotation(pair[0]), &rotation(pair[1]), "text");
        assert_eq!(code, 0, "{pair:?}: {out}");
        assert!(
            out.contains("ok the rollout keeps every live token valid"),
            "{out}"
        );
    }
    // Step 2 changes every service's signing key, by digest, and its key id, by value.
    let (_, out) = rollout(&rotation(STEPS[1]), &rotation(STEPS[2]), "text");
    assert!(out.contains("JWT_KEY_ID k1 -> k2"), "{out}");
    assert!(out.contains("JWT_SECRET_KEY (secret) changed"), "{out}");
    assert!(!out.contains("fake-rotation-example"), "{out}");
    // Step 3 drops k1: fine once its refresh tokens have expired, which only time tells.
    let (_, out) = rollout(&rotation(STEPS[2]), &rotation(STEPS[3]), "text");
    assert!(
        out.contains("key k1 leaves") && out.contains("7 day(s)"),
        "{out}"
    );
}

#[test]
fn signing_with_the_new_key_before_every_verifier_knows_it_is_caught() {
    // Step 2 straight after step 0: the old version, still running while the update rolls,
    // refuses what the new one signs.
    let (code, json) = rollout(&rotation(STEPS[0]), &rotation(STEPS[2]), "json");
    assert_eq!(code, 1, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let broken = &report["breaks"][0];
    assert_eq!(broken["moment"], "during_the_rollout");
    assert_eq!(broken["key_id"], "k2");
    assert_eq!(broken["variable"], "JWT_VERIFICATION_KEYS");
    assert_eq!(broken["verifiers"].as_array().unwrap().len(), 3);
    let (_, text) = rollout(&rotation(STEPS[0]), &rotation(STEPS[2]), "text");
    assert!(
        text.contains("while the update rolls") && text.contains("(key k2)"),
        "{text}"
    );
}

#[test]
fn dropping_jwt_key_id_in_step_3_is_caught_naming_the_variable_the_key_and_the_lifetime() {
    let slip = rotation("variants/step-3-drops-key-id");
    // The variant is valid on its own: only the rollout shows the mass logout.
    let (code, out) = run(&["audit", "--strict", slip.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = rollout(&rotation(STEPS[2]), &slip, "text");
    assert_eq!(code, 1, "{out}");
    let first = out.lines().find(|l| l.starts_with("breaks")).unwrap();
    for said in [
        "`JWT_KEY_ID` changed",
        "issued as k2",
        "7 day(s)",
        "keep JWT_KEY_ID=k2",
    ] {
        assert!(first.contains(said), "{said}: {first}");
    }
    let (_, json) = rollout(&rotation(STEPS[2]), &slip, "json");
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["breaks"][0]["moment"], "after_the_rollout");
    assert_eq!(report["breaks"][0]["variable"], "JWT_KEY_ID");
    // Going back from step 2 to step 0 drops k2 while tokens it signed live on.
    let (code, out) = rollout(&rotation(STEPS[2]), &rotation(STEPS[0]), "text");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("would not verify key k2 after the rollout"),
        "{out}"
    );
}

fn env(dir: &Path, service: &str, lines: &[&str]) {
    let mut text = format!(
        "ENVIRONMENT=production\nSERVICE_ID={service}\nJWT_SECRET_KEY=rollout-test-jwt-secret-0123456789abcdefgh\n\
         JWT_ISSUER=https://auth.example\nJWT_AUDIENCE=shop\n"
    );
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(format!("{service}.env")), text).unwrap();
}

const SECRET_A: &str = "SERVICE_SECRET=rollout-test-service-secret-a-0123456789abcdef";
const SECRET_B: &str = "SERVICE_SECRET=rollout-test-service-secret-b-0123456789abcdef";

#[test]
fn services_and_callers_that_change_are_listed_and_a_changed_service_secret_breaks_calls() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    env(&before, "auth", &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"]);
    env(
        &before,
        "orders",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=auth,reports"],
    );
    env(
        &before,
        "reports",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"],
    );
    env(&after, "auth", &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"]);
    env(
        &after,
        "orders",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=auth,billing"],
    );
    env(
        &after,
        "billing",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=orders"],
    );
    // billing arrives with orders' new allow-list: while the update rolls, the orders not yet
    // updated refuse billing's calls.
    let (code, json) = rollout(&before, &after, "json");
    assert_eq!(code, 1, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let broken = &report["breaks"][0];
    assert_eq!(broken["moment"], "during_the_rollout");
    assert_eq!(broken["variable"], "SERVICE_ALLOWED_CALLERS");
    assert_eq!(broken["signers"], serde_json::json!(["billing"]));
    assert_eq!(broken["verifiers"], serde_json::json!(["orders"]));
    // In the right order, orders allows billing before billing arrives.
    env(
        &before,
        "orders",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=auth,billing,reports"],
    );
    let (code, json) = rollout(&before, &after, "json");
    assert_eq!(code, 0, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["added"], serde_json::json!(["billing"]));
    assert_eq!(report["removed"], serde_json::json!(["reports"]));
    let callers = &report["callers"][0];
    assert_eq!(callers["receiver"], "orders");
    assert_eq!(callers["allowed"], serde_json::json!([]));
    assert_eq!(callers["no_longer_allowed"], serde_json::json!(["reports"]));
    // orders takes another SERVICE_SECRET: auth's calls signed before the rollout are refused
    // after it, and billing cannot verify orders' calls; the secret is never shown.
    env(
        &after,
        "orders",
        &[SECRET_B, "SERVICE_ALLOWED_CALLERS=auth,billing"],
    );
    let (code, out) = rollout(&before, &after, "text");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("service tokens") && out.contains("1 minute(s)"),
        "{out}"
    );
    assert!(out.contains("SERVICE_SECRET (secret) changed"), "{out}");
    assert!(!out.contains("rollout-test-service-secret"), "{out}");
    let (_, json) = rollout(&before, &after, "json");
    let report: Value = serde_json::from_str(&json).unwrap();
    let moments: Vec<&str> = report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["service_calls"] == true)
        .map(|b| b["moment"].as_str().unwrap())
        .collect();
    for moment in ["after_the_rollout", "after"] {
        assert!(moments.contains(&moment), "{moment}: {json}");
    }
    // A service that does not load after the rollout fails it.
    env(&after, "orders", &["SERVICE_ALLOWED_CALLERS=auth"]);
    let (code, out) = rollout(&before, &after, "text");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("orders does not load"), "{out}");
}

#[test]
fn before_and_after_go_together_and_exclude_plain_inputs() {
    let step = rotation(STEPS[0]);
    let step = step.to_str().unwrap();
    assert_eq!(run(&["audit", "--before", step]).0, 2);
    assert_eq!(
        run(&["audit", step, "--before", step, "--after", step]).0,
        2
    );
    let (code, out) = run(&[
        "audit", "--before", step, "--after", step, "--format", "markdown",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("### jwt-config rollout audit passed"),
        "{out}"
    );
}

#[test]
fn a_fleet_as_deployed_that_cannot_be_loaded_is_never_judged_ok() {
    // Step 2 without its Secrets (`kubectl get` without them): nothing it signs is known.
    let dir = tempfile::tempdir().unwrap();
    let step = rotation(STEPS[2]);
    for file in ["auth.yaml", "orders.yaml", "billing.yaml"] {
        std::fs::copy(step.join(file), dir.path().join(file)).unwrap();
    }
    let (code, out) = rollout(
        dir.path(),
        &rotation("variants/step-3-drops-key-id"),
        "text",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("before the rollout, or is not checked"),
        "{out}"
    );
    assert!(!out.contains("ok the rollout"), "{out}");
}

#[test]
fn a_verifier_forgotten_in_step_1_is_named_when_step_2_follows() {
    let forgot = rotation("variants/step-1-forgets-billing");
    let (code, out) = run(&["audit", "--strict", forgot.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, json) = rollout(&forgot, &rotation(STEPS[2]), "json");
    assert_eq!(code, 1, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let breaks = report["breaks"].as_array().unwrap();
    assert_eq!(breaks.len(), 1, "{json}");
    assert_eq!(breaks[0]["moment"], "during_the_rollout");
    assert_eq!(breaks[0]["key_id"], "k2");
    assert_eq!(
        breaks[0]["verifiers"],
        serde_json::json!(["default/deployment/billing"])
    );
}

#[test]
fn a_changed_issuer_or_a_renamed_caller_breaks_the_tokens_and_calls_that_cross_the_rollout() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    env(&before, "auth", &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"]);
    env(
        &before,
        "orders",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=auth"],
    );
    env(&after, "auth", &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"]);
    let other_issuer = std::fs::read_to_string(before.join("orders.env"))
        .unwrap()
        .replace(
            "JWT_ISSUER=https://auth.example",
            "JWT_ISSUER=https://auth2.example",
        );
    std::fs::write(after.join("orders.env"), other_issuer).unwrap();
    let (code, json) = rollout(&before, &after, "json");
    assert_eq!(code, 1, "{json}");
    let report: Value = serde_json::from_str(&json).unwrap();
    let variables: Vec<&str> = report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["variable"].as_str().unwrap())
        .collect();
    assert!(
        !variables.is_empty() && variables.iter().all(|v| *v == "JWT_ISSUER"),
        "{json}"
    );
    let (_, text) = rollout(&before, &after, "text");
    assert!(
        text.contains("`JWT_ISSUER` changes") && text.contains("7 day(s)"),
        "{text}"
    );
    // auth is renamed login; orders still allows `auth`: login's calls would be refused.
    env(
        &after,
        "orders",
        &[SECRET_A, "SERVICE_ALLOWED_CALLERS=auth"],
    );
    std::fs::remove_file(after.join("auth.env")).unwrap();
    env(&after, "login", &[SECRET_A, "SERVICE_ALLOWED_CALLERS=none"]);
    let (code, out) = rollout(&before, &after, "text");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("allows `auth`, a service before the rollout that no service is after it"),
        "{out}"
    );
}
