//! `examples/fleet-audit/` (compiled in here as a module): each workload of
//! `examples/k8s/services/` audited against the struct it really loads, and a typo of a
//! service's own variable that an audit against `JwtConfig` alone cannot see.

#[path = "../../examples/fleet-audit/fleet_audit.rs"]
#[allow(dead_code)]
mod fleet_audit;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn example(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/k8s")
        .join(dir)
}

/// The fleet audit over `args` (after the program name): exit code and stdout.
fn fleet(args: &[&str]) -> (u8, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let all = std::iter::once("fleet-audit")
        .chain(args.iter().copied())
        .map(Into::into);
    let code = fleet_audit::run(all, &mut out, &mut err, false);
    let text = String::from_utf8(out).unwrap() + &String::from_utf8(err).unwrap();
    (code, text)
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

#[test]
fn each_workload_is_loaded_with_its_own_struct_and_the_shared_settings_are_compared() {
    let services = example("services");
    let (code, out) = fleet(&["audit", "--strict", path(&services)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 services, 2 valid, 2 agree on everything"),
        "{out}"
    );
    // The services' own settings are theirs: not compared, not unknown.
    assert!(
        !out.contains("AUTH_PORT") || !out.contains("differs"),
        "{out}"
    );
    let (_, json) = fleet(&["audit", "--format", "json", path(&services)]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        report["differences"].as_array().unwrap().is_empty(),
        "{json}"
    );
    assert!(report["key_gaps"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn a_typo_of_a_services_own_variable_is_caught_where_the_jwt_only_audit_sees_nothing() {
    let (services, typo) = (
        example("services"),
        example("services-variants/backend-url-typo"),
    );
    let inputs = [path(&services), path(&typo)];
    let (code, out) = fleet(&["audit", "--strict", inputs[0], inputs[1]]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BACKEND_ULR"), "{out}");
    assert!(out.contains("BACKEND_URL"), "{out}");
    assert!(out.contains("shop/deployment/login"), "{out}");
    // `jwt-config audit` knows JwtConfig alone: the typo passes it.
    let output = Command::cargo_bin("jwt-config")
        .unwrap()
        .env_clear()
        .args(["audit", "--strict", inputs[0], inputs[1]])
        .output()
        .unwrap();
    let plain = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{plain}");
    assert!(!plain.contains("BACKEND_ULR"), "{plain}");
}

#[test]
fn a_workload_that_no_schema_owns_fails_strict_and_says_how_to_name_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let services = example("services");
    for file in ["shared.yaml", "login.yaml", "backend.yaml"] {
        std::fs::copy(services.join(file), dir.path().join(file)).unwrap();
    }
    let reports = std::fs::read_to_string(services.join("backend.yaml"))
        .unwrap()
        .replace("name: backend", "name: reports")
        .replace("value: \"backend\"", "value: \"reports\"")
        .replace("BACKEND_PORT", "REPORTS_PORT");
    std::fs::write(dir.path().join("reports.yaml"), reports).unwrap();
    let (code, out) = fleet(&["audit", path(dir.path())]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("matches no schema") && out.contains("jwt-config/schema"),
        "{out}"
    );
    let (code, _) = fleet(&["audit", "--strict", path(dir.path())]);
    assert_eq!(code, 1);
    // A label that names a schema the audit does not have is said as such.
    let labelled = std::fs::read_to_string(dir.path().join("reports.yaml"))
        .unwrap()
        .replace(
            "  namespace: shop\nspec:",
            "  namespace: shop\n  labels:\n    jwt-config/schema: reporting\nspec:",
        );
    std::fs::write(dir.path().join("reports.yaml"), labelled).unwrap();
    let (_, out) = fleet(&["audit", path(dir.path())]);
    assert!(out.contains("names schema \"reporting\""), "{out}");
    // Only `audit` runs here.
    let (code, _) = fleet(&["check", "--no-process-env"]);
    assert_eq!(code, 2);
}

/// A service that reads the JWT settings under a prefix of its own.
#[derive(jwt_config::Config)]
struct BillingConfig {
    #[config(flatten, prefix = "BILLING_")]
    jwt: jwt_config::JwtConfig,
    #[config(env = "BILLING_PORT", default = 8443)]
    #[allow(dead_code)]
    port: u16,
}

#[test]
fn settings_read_under_a_prefix_are_compared_with_the_same_settings_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let shared = |prefix: &str, issuer: &str| {
        format!(
            "ENVIRONMENT=production\n{prefix}JWT_SECRET_KEY=fleet-audit-test-jwt-secret-0123456789abcd\n\
             {prefix}JWT_ISSUER={issuer}\n{prefix}JWT_AUDIENCE=shop\n\
             {prefix}SERVICE_SECRET=fleet-audit-test-service-secret-0123456789ab\n\
             {prefix}SERVICE_ALLOWED_CALLERS=*\n"
        )
    };
    let write = |file: &str, text: String| std::fs::write(dir.path().join(file), text).unwrap();
    write(
        "orders.env",
        shared("", "https://auth.example") + "SERVICE_ID=orders\n",
    );
    write(
        "billing.env",
        shared("BILLING_", "https://auth.example")
            + "BILLING_SERVICE_ID=billing\nBILLING_PORT=9000\n",
    );
    let audit = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let all = std::iter::once("fleet-audit").chain(args.iter().copied());
        let code = jwt_config_cli::FleetAudit::new()
            .schema::<BillingConfig>("billing")
            .schema::<jwt_config::JwtConfig>("orders")
            .select(|workload| Some(workload.name.trim_end_matches(".env").to_owned()))
            .run(all, &mut out, &mut err, false);
        (
            code,
            String::from_utf8(out).unwrap() + &String::from_utf8(err).unwrap(),
        )
    };
    let fleet = dir.path().to_str().unwrap();
    let (code, out) = audit(&["audit", "--strict", fleet]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 agree on everything"), "{out}");
    // The issuer under its prefix differs from the other service's: said by its shared name.
    write(
        "billing.env",
        shared("BILLING_", "https://other.example") + "BILLING_SERVICE_ID=billing\n",
    );
    let (code, out) = audit(&["audit", fleet]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("differs JWT_ISSUER"), "{out}");
}

#[test]
fn a_rollout_of_the_fleet_is_audited_with_each_workloads_own_struct() {
    let services = example("services");
    let (code, out) = fleet(&[
        "audit",
        "--before",
        path(&services),
        "--after",
        path(&services),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok the rollout keeps every live token valid"),
        "{out}"
    );
    // After a rollout that drops the shared Secret, nothing the services sign is known.
    let dir = tempfile::tempdir().unwrap();
    for file in ["login.yaml", "backend.yaml"] {
        std::fs::copy(services.join(file), dir.path().join(file)).unwrap();
    }
    let (code, out) = fleet(&[
        "audit",
        "--before",
        path(&services),
        "--after",
        path(dir.path()),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("after the rollout, or is not checked"),
        "{out}"
    );
}
