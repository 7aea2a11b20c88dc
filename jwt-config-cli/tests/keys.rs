//! `keys new` and `keys bundle`: every key made is proved by loading it as the services
//! would, signing with it and verifying where the printed keys are configured.

use std::path::Path;

use assert_cmd::Command;
use jwt_config::service_auth::Caller;
use jwt_config::{Config as _, EnvFile, JwtConfig, MapSource};
use serde_json::Value;

const JWT_SECRET: &str = "keys-test-jwt-secret-0123456789abcdefghij";
const SERVICE_SECRET: &str = "keys-test-service-secret-0123456789abcdef";

fn jwt_config() -> Command {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    command.env_clear();
    command
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = jwt_config().args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// `keys new ... --format json`, parsed.
fn new_key(args: &[&str]) -> Value {
    let mut all = vec!["keys", "new", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    serde_json::from_str(&out).unwrap()
}

/// Production settings of `service`, without a service key.
fn production(service: &str) -> MapSource {
    [
        ("ENVIRONMENT", "production"),
        ("SERVICE_ID", service),
        ("JWT_SECRET_KEY", JWT_SECRET),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "backend"),
        ("SERVICE_ALLOWED_CALLERS", "*"),
    ]
    .into_iter()
    .collect()
}

fn load(source: &MapSource) -> JwtConfig {
    JwtConfig::from_source(source).unwrap_or_else(|error| panic!("{error}"))
}

fn json_of<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn a_new_service_key_loads_in_production_and_its_jwk_is_the_one_the_service_derives() {
    for algorithm in ["EdDSA", "ES256"] {
        let key = new_key(&["--service", "billing", "--algorithm", algorithm]);
        assert_eq!(key["algorithm"], algorithm);
        assert_eq!(key["kid"], "billing");
        let pem = key["secret"].as_str().unwrap();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{algorithm}"
        );
        let caller = load(&production("billing").with("SERVICE_PRIVATE_KEY", pem));
        assert_eq!(
            json_of(&caller.service_jwk().unwrap()),
            key["jwk"],
            "{algorithm}"
        );
        for private_member in ["d", "k", "p", "q"] {
            assert!(key["jwk"].get(private_member).is_none(), "{algorithm}");
        }
        // A receiver whose SERVICE_VERIFICATION_KEYS is the printed key's set accepts its calls.
        let set = format!(r#"{{"keys":[{}]}}"#, key["jwk"]);
        let receiver = load(
            &production("orders")
                .with("SERVICE_SECRET", SERVICE_SECRET)
                .with("SERVICE_VERIFICATION_KEYS", set),
        );
        let headers = caller.service_headers("orders").unwrap();
        let verified = receiver.verify_service_call(&headers);
        assert_eq!(
            verified.unwrap(),
            Caller::Service("billing".into()),
            "{algorithm}"
        );
    }
}

#[test]
fn two_new_keys_are_never_the_same() {
    let a = new_key(&["--service", "billing"]);
    let b = new_key(&["--service", "billing"]);
    assert_ne!(a["secret"], b["secret"]);
    assert_ne!(a["jwk"]["x"], b["jwk"]["x"]);
}

#[test]
fn a_new_oct_key_loads_as_both_secrets_and_its_quoted_set_loads_from_an_env_file() {
    let key = new_key(&["--oct", "--kid", "s2", "--bytes", "48"]);
    let value = key["secret"].as_str().unwrap();
    assert!(value.starts_with("base64:"), "{value}");
    assert_eq!(key["jwk"]["kid"], "s2");
    assert_eq!(key["jwk"]["kty"], "oct");
    let k = key["jwk"]["k"].as_str().unwrap();
    assert!(!k.contains(['=', '+', '/']), "{k}");
    // The raw value as JWT_SECRET_KEY and as SERVICE_SECRET, in production.
    let issuer = load(
        &production("auth")
            .with("JWT_SECRET_KEY", value)
            .with("JWT_KEY_ID", "s2")
            .with("SERVICE_SECRET", SERVICE_SECRET),
    );
    let caller = load(
        &production("billing")
            .with("SERVICE_SECRET", value)
            .with("SERVICE_KEY_ID", "s2"),
    );
    // The quoted set, as an env file line, verifies what both sign during the rotation.
    let quoted = key["env_file_value"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.env");
    let lines = [
        "ENVIRONMENT=production".to_owned(),
        "SERVICE_ID=orders".to_owned(),
        format!("JWT_SECRET_KEY={JWT_SECRET}"),
        "JWT_KEY_ID=s1".to_owned(),
        "JWT_ISSUER=https://auth.example.com".to_owned(),
        "JWT_AUDIENCE=backend".to_owned(),
        format!("SERVICE_SECRET={SERVICE_SECRET}"),
        "SERVICE_ALLOWED_CALLERS=*".to_owned(),
        "SERVICE_KEY_ID=s1".to_owned(),
        format!("SERVICE_VERIFICATION_KEYS={quoted}"),
        format!("JWT_VERIFICATION_KEYS={quoted}"),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let env = EnvFile::isolated(&path).unwrap();
    let receiver = JwtConfig::from_source(&env).unwrap_or_else(|error| panic!("{error}"));
    let token = issuer.encode(&issuer.access_claims("user-1")).unwrap();
    assert!(receiver.decode::<Value>(&token).is_ok());
    let headers = caller.service_headers("orders").unwrap();
    assert!(receiver.verify_service_call(&headers).is_ok());
}

#[test]
fn out_writes_the_secret_to_a_new_private_file_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("billing.pem");
    let file = path.to_str().unwrap();
    let (code, out, err) = run(&["keys", "new", "--service", "billing", "--out", file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    assert!(!out.contains("PRIVATE KEY-----"), "{out}");
    assert!(out.contains(r#""kid":"billing""#), "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The file holds the key the service loads (SERVICE_PRIVATE_KEY, as from its _FILE).
    let caller = load(&production("billing").with("SERVICE_PRIVATE_KEY", pem.as_str()));
    assert!(caller.service_jwk().is_some());
    // A second run refuses, naming the file, and leaves it as it was.
    let (code, out, err) = run(&["keys", "new", "--oct", "--kid", "s2", "--out", file]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(file) && err.contains("exists"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    // An oct key's value goes to the file; stderr never carries a secret.
    let oct_path = dir.path().join("secret");
    let oct_file = oct_path.to_str().unwrap();
    let (code, out, err) = run(&["keys", "new", "--oct", "--kid", "s2", "--out", oct_file]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    let value = std::fs::read_to_string(&oct_path).unwrap();
    assert!(value.trim_end().starts_with("base64:"), "{value}");
    assert!(!out.contains(value.trim_end()), "{out}");
}

#[test]
fn text_output_holds_the_pem_and_the_public_jwk() {
    let (code, out, err) = run(&["keys", "new", "--service", "billing"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("-----BEGIN PRIVATE KEY-----"), "{out}");
    let jwk_line = out.lines().find(|line| line.starts_with('{')).unwrap();
    let jwk: Value = serde_json::from_str(jwk_line).unwrap();
    assert_eq!(jwk["kid"], "billing");
    let (code, out, _) = run(&["keys", "new", "--oct", "--kid", "s2"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|line| line.starts_with("base64:")), "{out}");
    assert!(out.lines().any(|line| line.starts_with("'{")), "{out}");
}

#[test]
fn keys_new_refuses_mixed_and_short_requests() {
    for args in [
        &["keys", "new"][..],
        &["keys", "new", "--service", "a", "--oct", "--kid", "k"],
        &["keys", "new", "--oct"],
        &["keys", "new", "--oct", "--kid", "k", "--bytes", "16"],
        &["keys", "new", "--service", "a", "--algorithm", "RS256"],
        &["keys", "new", "--service", ""],
        &["keys", "new", "--oct", "--kid", " k2"],
    ] {
        let (code, out, _) = run(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

/// An env file of a fleet: a service on its own key, or on the shared secret.
fn write_env(dir: &Path, service: &str, own_key: Option<&str>) {
    let key_line = match own_key {
        Some(pem) => format!("SERVICE_PRIVATE_KEY=\"{pem}\""),
        None => format!("SERVICE_SECRET={SERVICE_SECRET}"),
    };
    let lines = [
        "ENVIRONMENT=production".to_owned(),
        format!("SERVICE_ID={service}"),
        format!("JWT_SECRET_KEY={JWT_SECRET}"),
        "JWT_ISSUER=https://auth.example.com".to_owned(),
        "JWT_AUDIENCE=backend".to_owned(),
        "SERVICE_ALLOWED_CALLERS=*".to_owned(),
        key_line,
    ];
    std::fs::write(dir.join(format!("{service}.env")), lines.join("\n") + "\n").unwrap();
}

#[test]
fn bundle_collects_every_own_service_key_and_names_the_services_left_out() {
    let billing = new_key(&["--service", "billing"]);
    let orders = new_key(&["--service", "orders", "--algorithm", "ES256"]);
    let dir = tempfile::tempdir().unwrap();
    let pem = |key: &Value| key["secret"].as_str().unwrap().trim_end().to_owned();
    write_env(dir.path(), "billing", Some(&pem(&billing)));
    write_env(dir.path(), "orders", Some(&pem(&orders)));
    write_env(dir.path(), "reports", None);
    let fleet = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["keys", "bundle", fleet]);
    assert_eq!(code, 0, "{out}{err}");
    let set: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        set["keys"],
        Value::Array(vec![billing["jwk"].clone(), orders["jwk"].clone()])
    );
    assert!(err.contains("billing, orders"), "{err}");
    assert!(
        err.contains("not included: reports") && err.contains("SERVICE_SECRET"),
        "{err}"
    );
    assert!(!err.contains("PRIVATE KEY") && !out.contains("PRIVATE KEY"));
    // Every receiver that reads the set accepts both callers.
    let receiver = load(
        &production("reports")
            .with("SERVICE_SECRET", SERVICE_SECRET)
            .with("SERVICE_VERIFICATION_KEYS", out.as_str()),
    );
    for (service, key) in [("billing", &billing), ("orders", &orders)] {
        let caller = load(&production(service).with("SERVICE_PRIVATE_KEY", pem(key)));
        let headers = caller.service_headers("reports").unwrap();
        let verified = receiver.verify_service_call(&headers).unwrap();
        assert_eq!(verified, Caller::Service(service.into()));
    }
    // As a ConfigMap: the same set under SERVICE_VERIFICATION_KEYS.
    let (code, yaml, _) = run(&[
        "keys",
        "bundle",
        fleet,
        "--format",
        "configmap",
        "--name",
        "svc-keys",
    ]);
    assert_eq!(code, 0, "{yaml}");
    assert!(yaml.contains("kind: ConfigMap") && yaml.contains("name: \"svc-keys\""));
    let value = yaml
        .lines()
        .find_map(|line| line.strip_prefix("  SERVICE_VERIFICATION_KEYS: "))
        .unwrap();
    let json: String = serde_json::from_str(value).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), set);
}

#[test]
fn bundle_of_a_fleet_on_the_shared_secret_is_empty_and_a_service_that_does_not_load_fails() {
    let dir = tempfile::tempdir().unwrap();
    write_env(dir.path(), "reports", None);
    let fleet = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["keys", "bundle", fleet]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["keys"],
        Value::Array(Vec::new())
    );
    std::fs::write(dir.path().join("broken.env"), "ENVIRONMENT=production\n").unwrap();
    let (code, _, err) = run(&["keys", "bundle", fleet]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not included: broken") && err.contains("does not load"),
        "{err}"
    );
    let (code, examples, _) = run(&["keys", "bundle", "../examples/k8s/fleet"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&examples).unwrap()["keys"],
        Value::Array(Vec::new())
    );
}

/// A Deployment of `billing` on its own key, from the Secret `billing-key`.
const BILLING_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: billing
          image: shop/billing:1.0.0
          envFrom:
            - configMapRef:
                name: jwt-shared
          env:
            - name: SERVICE_ID
              value: billing
            - name: JWT_SECRET_KEY
              valueFrom:
                secretKeyRef:
                  name: jwt-secrets
                  key: JWT_SECRET_KEY
            - name: SERVICE_PRIVATE_KEY
              valueFrom:
                secretKeyRef:
                  name: billing-key
                  key: SERVICE_PRIVATE_KEY
";

#[test]
fn bundle_reads_kubernetes_manifests_as_audit_does_and_fails_where_a_key_is_not_in_the_input() {
    let billing = new_key(&["--service", "billing", "--algorithm", "ES256"]);
    let pem = billing["secret"].as_str().unwrap().trim_end();
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/k8s/fleet");
    for name in ["shared.yaml", "orders.yaml"] {
        std::fs::copy(example.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("billing.yaml"), BILLING_DEPLOYMENT).unwrap();
    let indented: String = pem.lines().map(|line| format!("    {line}\n")).collect();
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: billing-key\n  namespace: shop\n\
         stringData:\n  SERVICE_PRIVATE_KEY: |\n{indented}"
    );
    let secret_path = dir.path().join("billing-key.yaml");
    std::fs::write(&secret_path, secret).unwrap();
    let fleet = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["keys", "bundle", fleet]);
    assert_eq!(code, 0, "{out}{err}");
    let set: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(set["keys"], Value::Array(vec![billing["jwk"].clone()]));
    assert!(
        err.contains("not included: shop/deployment/orders"),
        "{err}"
    );
    // Without the Secret, billing's key is unknown: not included, and the bundle fails.
    std::fs::remove_file(&secret_path).unwrap();
    let (code, out, err) = run(&["keys", "bundle", fleet]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("not included: shop/deployment/billing") && err.contains("not in the input"),
        "{err}"
    );
    // audit says the same: billing is not checked (its key's Secret is not in the input),
    // not invalid for the SERVICE_SECRET that the key would have made unneeded.
    let (code, out, err) = run(&["audit", fleet, "--format", "json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let billing = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "shop/deployment/billing")
        .unwrap();
    assert_eq!(billing["status"], "incomplete", "{billing}");
    assert_eq!(billing["problems"], Value::Array(Vec::new()), "{billing}");
}

/// Writes `SERVICE.env` of a production fleet in `dir`, with `extra` lines.
fn write_service(dir: &Path, service: &str, extra: &[String]) {
    let mut lines = vec![
        "ENVIRONMENT=production".to_owned(),
        format!("SERVICE_ID={service}"),
        format!("JWT_SECRET_KEY={JWT_SECRET}"),
        "JWT_ISSUER=https://auth.example.com".to_owned(),
        "JWT_AUDIENCE=backend".to_owned(),
    ];
    lines.extend_from_slice(extra);
    std::fs::write(dir.join(format!("{service}.env")), lines.join("\n") + "\n").unwrap();
}

#[test]
fn audit_says_when_the_bundle_in_the_manifests_is_stale() {
    // auth rotated its key: it signs as `auth:2`.
    let old = new_key(&["--service", "auth"]);
    let new = new_key(&["--service", "auth"]);
    let orders_key = new_key(&["--service", "orders"]);
    let retired = new_key(&["--service", "search"]);
    let pem = |key: &Value| key["secret"].as_str().unwrap().trim_end().to_owned();
    let mut next = new["jwk"].clone();
    next["kid"] = Value::from("auth:2");
    let dir = tempfile::tempdir().unwrap();
    write_service(
        dir.path(),
        "auth",
        &[
            format!("SERVICE_PRIVATE_KEY=\"{}\"", pem(&new)),
            "SERVICE_KEY_ID=auth:2".to_owned(),
            "SERVICE_ALLOWED_CALLERS=none".to_owned(),
        ],
    );
    let orders = |keys: &[&Value]| {
        let bundle = serde_json::json!({ "keys": keys }).to_string();
        write_service(
            dir.path(),
            "orders",
            &[
                format!("SERVICE_PRIVATE_KEY=\"{}\"", pem(&orders_key)),
                format!("SERVICE_VERIFICATION_KEYS='{bundle}'"),
                "SERVICE_ALLOWED_CALLERS=auth".to_owned(),
            ],
        );
    };
    let fleet = dir.path().to_str().unwrap();
    // The old key beside the new one: a rotation under way, said, and no failure.
    orders(&[&old["jwk"], &next]);
    let (code, out, err) = run(&["audit", "--strict", fleet]);
    assert_eq!(code, 0, "{out}{err}");
    let line = out.lines().find(|l| l.contains("stale")).expect(&out);
    for said in [
        "orders",
        "key auth ",
        "auth:2",
        "rotation of auth's key is under way",
    ] {
        assert!(line.contains(said), "{said}: {line}");
    }
    let (_, json, _) = run(&["audit", "--format", "json", fleet]);
    let report: Value = serde_json::from_str(&json).unwrap();
    let stale = &report["stale_keys"][0];
    assert_eq!(stale["key_id"], "auth");
    assert_eq!(stale["current_key_id"], "auth:2");
    assert_eq!(stale["rotation"], true);
    assert_eq!(stale["receivers"], serde_json::json!(["orders"]));
    // The old key alone: auth's calls fail (a key gap), and the bundle is said to be stale.
    orders(&[&old["jwk"]]);
    let (code, out, _) = run(&["audit", fleet]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the SERVICE_VERIFICATION_KEYS bundle is stale"),
        "{out}"
    );
    // The key of a service no longer in the fleet stays trusted: said, and a failure under
    // --strict.
    let mut gone = retired["jwk"].clone();
    gone["kid"] = Value::from("search");
    orders(&[&next, &gone]);
    let (code, out, _) = run(&["audit", fleet]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("`search` that is not in the inputs"), "{out}");
    let (code, out, _) = run(&["audit", "--strict", fleet]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("regenerate the bundle"), "{out}");
    // Regenerated from the same inputs, the bundle holds the current keys only: nothing stale.
    let (_, fresh, _) = run(&["keys", "bundle", fleet]);
    let fresh: Value = serde_json::from_str(&fresh).unwrap();
    let keys: Vec<&Value> = fresh["keys"].as_array().unwrap().iter().collect();
    orders(&keys);
    let (code, out, _) = run(&["audit", "--strict", fleet]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("stale"), "{out}");
}

#[test]
fn a_key_of_a_services_own_rotation_as_a_secret_carries_its_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("billing-key.yaml");
    let path = path.to_str().unwrap();
    let (code, out, err) = run(&[
        "keys",
        "new",
        "--service",
        "billing:2",
        "--out",
        path,
        "--secret-name",
        "billing-service-key",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let manifest = std::fs::read_to_string(path).unwrap();
    assert!(manifest.contains("kind: Secret"), "{manifest}");
    assert!(
        manifest.contains("  SERVICE_KEY_ID: \"billing:2\""),
        "{manifest}"
    );
    assert!(manifest.contains("  SERVICE_PRIVATE_KEY: \"-----BEGIN PRIVATE KEY-----\\n"));
    assert!(!out.contains("PRIVATE KEY"), "{out}");
}
