//! `jwt-config audit` on the example fleet (`examples/k8s`), each variant that breaks one
//! thing, the input forms (stdin, `kind: List`, Compose, env files) and the output formats.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/k8s")
        .join(path)
}

fn audit(args: &[&str]) -> (i32, String, String) {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    command.env_clear().arg("audit").args(args);
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn fleet_with(variant: &str, extra: &[&str]) -> (i32, String, String) {
    let fleet = example("fleet");
    let variant = example(&format!("variants/{variant}"));
    let mut args = vec![fleet.to_str().unwrap(), variant.to_str().unwrap()];
    args.extend_from_slice(extra);
    audit(&args)
}

#[test]
fn the_example_fleet_is_valid_and_agrees_as_shipped() {
    let fleet = example("fleet");
    let (code, out, _) = audit(&[fleet.to_str().unwrap(), "--strict"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("4 services, 4 valid, 4 agree on everything"),
        "{out}"
    );
    // The sidecar of billing sets nothing of the schema: not a service.
    assert!(
        out.contains("skipped     shop/deployment/billing:log-shipper"),
        "{out}"
    );
    // $(APP_NAME) expanded into SERVICE_ID.
    assert!(out.contains("reports (shop/cronjob/reports)"), "{out}");
    // No secret is ever printed.
    assert!(!out.contains("fake-k8s-example"), "{out}");
}

#[test]
fn a_service_missing_the_shared_config_map_is_named() {
    let (code, out, _) = fleet_with("missing-configmap", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid     shop/deployment/orders"), "{out}");
    assert!(out.contains("ENVIRONMENT: is not set"), "{out}");
    assert!(
        out.contains("fix first: shop/deployment/orders does not load"),
        "{out}"
    );
}

#[test]
fn a_typo_is_a_warning_and_fails_under_strict() {
    let (code, out, _) = fleet_with("typo", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("JWT_ACCES_TOKEN_EXPIRE_MINUTES: is not a variable of JwtConfig")
            && out.contains("did you mean JWT_ACCESS_TOKEN_EXPIRE_MINUTES?"),
        "{out}"
    );
    let (code, out, _) = fleet_with("typo", &["--strict"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("fix first: warnings in shop/deployment/billing:billing"),
        "{out}"
    );
}

#[test]
fn a_drifted_secret_is_found_by_key_agreement_and_never_shown() {
    let (code, out, _) = fleet_with("drifted-secret", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("fix first: shop/cronjob/reports and the fleet disagree on keys (key k1"),
        "{out}"
    );
    assert!(!out.contains("drifted-k8s"), "{out}");
}

#[test]
fn a_legacy_name_with_another_value_is_a_conflict() {
    let (code, out, _) = fleet_with("legacy-name", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("invalid     shop/deployment/billing:billing"),
        "{out}"
    );
    assert!(
        out.contains("JWT_ACCESS_EXPIRY_MINUTES=\"60\" are set to different values"),
        "{out}"
    );
}

#[test]
fn staging_without_environment_fails_and_the_environment_flag_only_asserts() {
    let (code, out, _) = fleet_with("staging-without-environment", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("4 services, 0 valid"), "{out}");
    assert_eq!(out.matches("ENVIRONMENT: is not set").count(), 4, "{out}");
    // A pod gets nothing from a flag: every pod still refuses to start.
    let (code, out, _) = fleet_with("staging-without-environment", &["--environment", "staging"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("4 services, 0 valid"), "{out}");
    assert_eq!(
        out.matches(
            "ENVIRONMENT: is not set; --environment staging asserts it but supplies nothing"
        )
        .count(),
        4,
        "{out}"
    );
    assert!(!out.contains("ok every service"), "{out}");
    // Where a service says another environment, --environment is a problem, not an override.
    let (code, out, _) = audit(&[
        example("fleet").to_str().unwrap(),
        "--environment",
        "staging",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ENVIRONMENT: is production"), "{out}");
}

#[test]
fn a_verifier_without_the_issuers_new_key_is_named() {
    let (code, out, _) = fleet_with("rotation-gap", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "keys: shop/deployment/billing:billing cannot verify what shop/deployment/auth signs (key k2)"
        ),
        "{out}"
    );
    assert!(
        out.contains("fix first: shop/deployment/billing:billing cannot verify key k2"),
        "{out}"
    );
}

#[test]
fn json_is_structured_and_markdown_is_a_comment() {
    let fleet = example("fleet");
    let variant = example("variants/rotation-gap");
    let args = [fleet.to_str().unwrap(), variant.to_str().unwrap()];
    let (code, out, _) = audit(&[args[0], args[1], "--format", "json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["passed"], false);
    assert_eq!(report["summary"]["services"], 4);
    assert_eq!(report["summary"]["fix_first"]["kind"], "keys");
    assert_eq!(
        report["summary"]["fix_first"]["service"],
        "shop/deployment/billing:billing"
    );
    assert_eq!(report["key_gaps"][0]["key_id"], "k2");
    let (_, out, _) = audit(&[args[0], args[1], "--format", "markdown"]);
    assert!(out.starts_with("### jwt-config audit failed"), "{out}");
    assert!(out.contains("**Fix first:**"), "{out}");
    assert!(
        out.contains("<details><summary>Per-service settings"),
        "{out}"
    );
}

#[test]
fn a_disagreement_shows_the_groups_of_services_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let billing = std::fs::read_to_string(example("fleet/billing.yaml")).unwrap();
    let billing = billing.replace(
        "            - name: SERVICE_ID\n              value: billing\n",
        "            - name: SERVICE_ID\n              value: billing\n            - name: JWT_ACCESS_TOKEN_EXPIRE_MINUTES\n              value: \"30\"\n",
    );
    std::fs::write(dir.path().join("billing.yaml"), billing).unwrap();
    let (code, out, _) = audit(&[
        example("fleet").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("differs JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{out}"
    );
    assert!(
        out.contains("15                       shop/deployment/auth, shop/deployment/orders, shop/cronjob/reports"),
        "{out}"
    );
    assert!(
        out.contains("30                       shop/deployment/billing:billing"),
        "{out}"
    );
    assert!(
        out.contains(
            "fix first: JWT_ACCESS_TOKEN_EXPIRE_MINUTES in shop/deployment/billing:billing (1 of 4"
        ),
        "{out}"
    );
}

/// The fleet's files as one stream, as `helm template` prints it.
fn fleet_stream() -> String {
    let mut text = String::new();
    for name in [
        "shared.yaml",
        "auth.yaml",
        "orders.yaml",
        "billing.yaml",
        "reports.yaml",
    ] {
        text.push_str("---\n");
        text.push_str(&std::fs::read_to_string(example(&format!("fleet/{name}"))).unwrap());
    }
    text
}

#[test]
fn standard_input_reads_helm_template_output() {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .args(["audit", "-"])
        .write_stdin(fleet_stream())
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("4 services, 4 valid, 4 agree"), "{out}");
    assert!(out.contains("(<stdin>)"), "{out}");
}

#[test]
fn a_kubectl_list_is_read_item_by_item() {
    // `kubectl get deploy,cm,secret -o yaml` prints one `kind: List`; JSON is YAML too.
    let documents: Vec<serde_json::Value> = fleet_stream()
        .split("\n---\n")
        .filter(|d| d.contains("kind:"))
        .map(yaml_to_json)
        .collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": documents});
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .args(["audit", "-"])
        .write_stdin(list.to_string())
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("4 services, 4 valid"), "{out}");
}

/// One YAML document as data.
fn yaml_to_json(document: &str) -> serde_json::Value {
    serde_saphyr::from_str(document).unwrap()
}

#[test]
fn a_yaml_syntax_error_names_the_file_and_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "kind: ConfigMap\nmetadata:\n  name: x\ndata:\n  A: [unclosed\n",
    )
    .unwrap();
    let (code, _, err) = audit(&[path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("broken.yaml line "), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");
}

#[test]
fn compose_services_and_env_files_are_services_too() {
    let dir = tempfile::tempdir().unwrap();
    let shared = "ENVIRONMENT=production\nJWT_SECRET_KEY=compose-test-jwt-secret-0123456789abcdef\nJWT_ISSUER=https://auth.example\nJWT_AUDIENCE=shop\nSERVICE_SECRET=compose-test-service-secret-0123456789abc\nSERVICE_ALLOWED_CALLERS=*\n";
    std::fs::write(dir.path().join("shared.env"), shared).unwrap();
    let compose = r#"
services:
  auth:
    image: shop/auth
    env_file: shared.env
    environment:
      - SERVICE_ID=auth
      - JWT_ACCESS_TOKEN_EXPIRE_MINUTES=15
  orders:
    image: shop/orders
    env_file:
      - path: shared.env
      - path: optional.env
        required: false
    environment:
      SERVICE_ID: orders
      JWT_ACCESS_TOKEN_EXPIRE_MINUTES: 30
      JWT_LEEWAY_SECONDS: ${LEEWAY}
"#;
    std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    let lone = format!("{shared}SERVICE_ID=reports\nJWT_ACCESS_TOKEN_EXPIRE_MINUTES=15\n");
    std::fs::write(dir.path().join("reports.env"), lone).unwrap();
    let compose_path = dir.path().join("compose.yaml");
    let env_path = dir.path().join("reports.env");
    let (code, out, err) = audit(&[compose_path.to_str().unwrap(), env_path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("3 services, 3 valid"), "{out}");
    // An env file is named by its SERVICE_ID; the map form's number is a value.
    assert!(
        out.contains("15                       auth, reports"),
        "{out}"
    );
    assert!(out.contains("30                       orders"), "{out}");
    // Compose interpolation is known only at deploy time.
    assert!(
        out.contains("not checked: JWT_LEEWAY_SECONDS: interpolated by Compose at deploy time"),
        "{out}"
    );
    let (code, out, _) = audit(&[
        compose_path.to_str().unwrap(),
        env_path.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_service_not_checked_for_want_of_an_object_not_in_the_input_fails_and_is_said_as_such() {
    let orders = example("fleet/orders.yaml");
    let (code, out, _) = audit(&[orders.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not checked shop/deployment/orders"), "{out}");
    assert!(out.contains("1 service, 0 valid, 1 not checked"), "{out}");
    assert!(!out.contains("ok "), "{out}");
    assert!(
        out.contains("fix first: shop/deployment/orders: values supplied at deploy time"),
        "{out}"
    );
    assert!(
        out.contains("envFrom ConfigMap shop/jwt-shared is not in the input: supplied at deploy time, not checked"),
        "{out}"
    );
    let (code, out, _) = audit(&[orders.to_str().unwrap(), "--strict"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("fix first: shop/deployment/orders: values supplied at deploy time"),
        "{out}"
    );
}

fn audit_stdin(input: &str) -> (i32, String) {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .args(["audit", "-"])
        .write_stdin(input.to_owned())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[test]
fn no_service_found_fails_and_says_which_kinds_were_read_and_seen() {
    // An Argo Rollout is not a kind audit reads; a Service runs nothing.
    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {template: {spec: {containers: [{name: app, env: [{name: SERVICE_ID, value: r}]}]}}}\n---\nkind: Service\nmetadata: {name: s}\n";
    let (code, out) = audit_stdin(rollout);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 services"), "{out}");
    assert!(!out.contains("ok "), "{out}");
    assert!(
        out.contains("fix first: no service found in the inputs; audit reads Pods, Deployments"),
        "{out}"
    );
    assert!(
        out.contains("seen and not read: Rollout (1, runs containers), Service (1)"),
        "{out}"
    );
    // An empty `helm template` output.
    let (code, out) = audit_stdin("");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no service found in the inputs"), "{out}");
}

#[test]
fn a_workload_of_a_kind_not_read_beside_valid_services_fails() {
    let mut stream = fleet_stream();
    stream.push_str("\n---\nkind: Rollout\nmetadata: {name: r, namespace: shop}\nspec: {template: {spec: {containers: [{name: app}]}}}\n");
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not read: kind Rollout (1, runs containers)"),
        "{out}"
    );
    assert!(
        out.contains(
            "fix first: objects of kind Rollout run containers, but audit does not read that kind"
        ),
        "{out}"
    );
}

#[test]
fn a_valid_service_with_a_value_left_for_deploy_time_is_not_called_ok() {
    let dir = tempfile::tempdir().unwrap();
    let compose = r#"
services:
  auth:
    environment:
      ENVIRONMENT: production
      SERVICE_ID: auth
      JWT_SECRET_KEY: compose-test-jwt-secret-0123456789abcdef
      JWT_ISSUER: https://auth.example
      JWT_AUDIENCE: shop
      SERVICE_SECRET: compose-test-service-secret-0123456789abc
      SERVICE_ALLOWED_CALLERS: "*"
      JWT_LEEWAY_SECONDS: ${LEEWAY}
"#;
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, compose).unwrap();
    let (code, out, _) = audit(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 service, 1 valid"), "{out}");
    assert!(!out.contains("ok every service"), "{out}");
    assert!(
        out.contains(
            "passed, every service valid and agreeing as far as checked; values not checked in auth"
        ),
        "{out}"
    );
    let (code, _, _) = audit(&[path.to_str().unwrap(), "--strict"]);
    assert_eq!(code, 1);
}

#[cfg(unix)]
#[test]
fn directory_links_that_loop_end_and_each_real_directory_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example("fleet/auth.yaml"), dir.path().join("auth.yaml")).unwrap();
    std::fs::copy(example("fleet/shared.yaml"), dir.path().join("shared.yaml")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("again")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("loop")).unwrap();
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .arg("audit")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("1 service, 1 valid"), "{out}");
    assert!(out.contains("not read again: "), "{out}");
    assert!(out.contains("again (the directory "), "{out}");
    assert!(out.contains("loop (the directory "), "{out}");
}

/// One Deployment whose whole environment comes from a Secret's `data`.
fn deployment_with_secret_data(key_base64: &str) -> String {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "kind: Secret\nmetadata: {{name: jwt}}\ndata:\n  ENVIRONMENT: {}\n  SERVICE_ID: {}\n  JWT_ISSUER: {}\n  JWT_AUDIENCE: {}\n  SERVICE_SECRET: {}\n  SERVICE_ALLOWED_CALLERS: Kg==\n  JWT_SECRET_KEY: {key_base64}\n---\nkind: Deployment\nmetadata: {{name: auth}}\nspec: {{template: {{spec: {{containers: [{{name: app, envFrom: [{{secretRef: {{name: jwt}}}}]}}]}}}}}}\n",
        b64("production"),
        b64("auth"),
        b64("https://auth.example"),
        b64("shop"),
        b64("audit-test-service-secret-0123456789abcdef"),
    )
}

#[test]
fn a_secret_value_that_is_not_utf8_is_handed_over_as_bytes_and_refused_as_the_service_would() {
    use base64::Engine as _;
    let mut key = b"audit-test-jwt-secret-0123456789abcdefgh".to_vec();
    key.push(0xff);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
    let (code, out) = audit_stdin(&deployment_with_secret_data(&encoded));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid     default/deployment/auth"), "{out}");
    assert!(out.contains("JWT_SECRET_KEY: is not valid UTF-8"), "{out}");
    // The same key in UTF-8 is valid.
    let encoded = base64::engine::general_purpose::STANDARD.encode(&key[..key.len() - 1]);
    let (code, out) = audit_stdin(&deployment_with_secret_data(&encoded));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_self_reference_after_a_deploy_time_value_is_not_checked_and_fails_strict() {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .encode("audit-test-jwt-secret-0123456789abcdefgh");
    let stream = deployment_with_secret_data(&key).replace(
        "envFrom: [{secretRef: {name: jwt}}]",
        "envFrom: [{secretRef: {name: jwt}}], env: [{name: JWT_AUDIENCE, valueFrom: {secretKeyRef: {name: vault-synced, key: aud}}}, {name: JWT_AUDIENCE, value: \"$(JWT_AUDIENCE),billing\"}]",
    );
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .args(["audit", "-", "--strict"])
        .write_stdin(stream)
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("not checked: JWT_AUDIENCE: refers with $(...) to a value not in the input"),
        "{out}"
    );
    assert!(!out.contains("$(JWT_AUDIENCE),billing"), "{out}");
}

/// The Secret-fed Deployment of `deployment_with_secret_data`, its container given `extra`
/// (env entries, volume mounts) and its pod `volumes`.
fn deployment_with(extra: &str, volumes: &str) -> String {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .encode("audit-test-jwt-secret-0123456789abcdefgh");
    deployment_with_secret_data(&key).replace(
        "envFrom: [{secretRef: {name: jwt}}]}]",
        &format!("envFrom: [{{secretRef: {{name: jwt}}}}], {extra}}}], volumes: [{volumes}]"),
    )
}

#[test]
fn a_name_and_its_file_variable_both_set_is_a_startup_failure_even_with_the_file_on_no_volume() {
    let stream = deployment_with(
        "env: [{name: SERVICE_SECRET_FILE, value: /etc/app/service-secret}]",
        "",
    );
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid     default/deployment/auth"), "{out}");
    assert!(
        out.contains("SERVICE_SECRET and SERVICE_SECRET_FILE are both set"),
        "{out}"
    );
    assert!(!out.contains("a file of the image?"), "{out}");
}

#[test]
fn a_volume_item_missing_from_a_secret_in_the_input_is_a_startup_failure() {
    let stream = deployment_with(
        "volumeMounts: [{name: keys, mountPath: /keys}]",
        "{name: keys, secret: {secretName: jwt, items: [{key: PUBLIC_KEY, path: public.pem}]}}",
    )
    .replace(
        "  JWT_SECRET_KEY:",
        "  JWT_PUBLIC_KEY_FILE: L2tleXMvcHVibGljLnBlbQ==\n  JWT_SECRET_KEY:",
    );
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid     default/deployment/auth"), "{out}");
    assert!(
        out.contains("mounts key PUBLIC_KEY of Secret default/jwt, which that object does not have: the pod will not start"),
        "{out}"
    );
    assert!(!out.contains("a file of the image?"), "{out}");
    assert!(!out.contains("not checked"), "{out}");
}

#[test]
fn in_an_env_file_a_name_and_its_file_variable_both_set_is_a_startup_failure() {
    let dir = tempfile::tempdir().unwrap();
    let env = "ENVIRONMENT=production\nSERVICE_ID=auth\nJWT_SECRET_KEY=compose-test-jwt-secret-0123456789abcdef\nJWT_ISSUER=https://auth.example\nJWT_AUDIENCE=shop\nSERVICE_SECRET=compose-test-service-secret-0123456789abc\nSERVICE_SECRET_FILE=/run/secrets/service\nSERVICE_ALLOWED_CALLERS=*\n";
    let path = dir.path().join("auth.env");
    std::fs::write(&path, env).unwrap();
    let (code, out, _) = audit(&[path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("invalid     auth"), "{out}");
    assert!(
        out.contains("SERVICE_SECRET and SERVICE_SECRET_FILE are both set"),
        "{out}"
    );
}

/// Two Deployments sharing one Secret; `orders` and `billing` add their own `env` entries.
fn two_services(orders_env: &str, billing_env: &str) -> String {
    format!(
        "kind: Secret\nmetadata: {{name: jwt}}\nstringData: {{ENVIRONMENT: production, JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: shop, JWT_SECRET_KEY: audit-test-jwt-secret-0123456789abcdefgh, SERVICE_SECRET: audit-test-service-secret-0123456789abcdef, SERVICE_ALLOWED_CALLERS: '*', JWT_ACCESS_TOKEN_EXPIRE_MINUTES: '15'}}\n---\nkind: Deployment\nmetadata: {{name: orders}}\nspec: {{template: {{spec: {{containers: [{{name: app, envFrom: [{{secretRef: {{name: jwt}}}}], env: [{{name: SERVICE_ID, value: orders}}{orders_env}]}}]}}}}}}\n---\nkind: Deployment\nmetadata: {{name: billing}}\nspec: {{template: {{spec: {{containers: [{{name: app, envFrom: [{{secretRef: {{name: jwt}}}}], env: [{{name: SERVICE_ID, value: billing}}{billing_env}]}}]}}}}}}\n"
    )
}

#[test]
fn in_a_tie_fix_first_names_the_service_that_overrides_the_shared_object() {
    let stream = two_services(", {name: JWT_ACCESS_TOKEN_EXPIRE_MINUTES, value: '30'}", "");
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "fix first: JWT_ACCESS_TOKEN_EXPIRE_MINUTES in default/deployment/orders (1 of 2"
        ),
        "{out}"
    );
}

#[test]
fn a_tie_that_nothing_breaks_is_said_as_such() {
    let stream = two_services(
        ", {name: JWT_ACCESS_TOKEN_EXPIRE_MINUTES, value: '30'}",
        ", {name: JWT_ACCESS_TOKEN_EXPIRE_MINUTES, value: '20'}",
    );
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("fix first: JWT_ACCESS_TOKEN_EXPIRE_MINUTES: default/deployment/orders, default/deployment/billing disagree, 1 against 1, and nothing tells which value is meant"),
        "{out}"
    );
    assert!(out.contains("2 services, 2 valid, 0 agree"), "{out}");
}

#[test]
fn a_volume_item_missing_for_a_sidecar_stops_the_service_in_its_pod_too() {
    let stream = deployment_with(
        "env: []}, {name: sidecar, volumeMounts: [{name: keys, mountPath: /keys}]",
        "{name: keys, secret: {secretName: jwt, items: [{key: PUBLIC_KEY, path: public.pem}]}}",
    );
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("invalid     default/deployment/auth:app"),
        "{out}"
    );
    assert!(
        out.contains("(mounted by sidecar) mounts key PUBLIC_KEY of Secret default/jwt, which that object does not have: the pod will not start"),
        "{out}"
    );
}

#[test]
fn a_service_whose_load_depends_on_a_runtime_value_is_not_checked_and_says_why() {
    let stream = deployment_with_secret_data("YXVkaXQtdGVzdC1qd3Qtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaA==")
        .replace("  SERVICE_ID: YXV0aA==\n", "")
        .replace(
            "envFrom: [{secretRef: {name: jwt}}]",
            "envFrom: [{secretRef: {name: jwt}}], env: [{name: SERVICE_ID, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]",
        );
    let (code, out) = audit_stdin(&stream);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not checked default/deployment/auth"), "{out}");
    assert!(
        out.contains("fix first: default/deployment/auth: not checked, their load depends on values known only at run time"),
        "{out}"
    );
}

/// `audit` of a directory, with a bound on time: a FIFO must not hang it.
fn audit_dir(dir: &Path) -> (Option<i32>, String, String) {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    let output = command
        .env_clear()
        .arg("audit")
        .arg(dir)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn audit_reads_no_file_outside_its_inputs_and_never_waits_on_a_fifo() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("outside.env"), "JWT_ISSUER=LEAKED\n").unwrap();
    // A link in the tree to a file outside it: refused, naming it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example("fleet/auth.yaml"), dir.path().join("auth.yaml")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("outside.env"),
        dir.path().join("svc.env"),
    )
    .unwrap();
    let (code, out, err) = audit_dir(dir.path());
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("leads out of the inputs"), "{err}");
    assert!(!out.contains("LEAKED"), "{out}");
    // A FIFO named like an input: refused at once, never read.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let (code, _, err) = audit_dir(dir.path());
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    // A Compose env_file outside the inputs: not read, and the service does not pass.
    let dir = tempfile::tempdir().unwrap();
    let outside_file = outside.path().join("outside.env");
    std::fs::write(
        dir.path().join("compose.yaml"),
        format!(
            "services:\n  auth:\n    env_file: {}\n    environment:\n      ENVIRONMENT: development\n      SERVICE_ID: auth\n      JWT_SECRET_KEY: compose-test-jwt-secret-0123456789abcdef\n",
            outside_file.display()
        ),
    )
    .unwrap();
    let (code, out, _) = audit_dir(dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("lies outside the inputs"), "{out}");
    assert!(!out.contains("LEAKED"), "{out}");
}

#[test]
fn two_env_files_of_one_service_id_are_told_apart_and_compared() {
    // A canary beside the service, one key id over two keys: they must not pass as one.
    let dir = tempfile::tempdir().unwrap();
    for (file, key) in [("orders.env", "a"), ("orders-canary.env", "b")] {
        let text = format!(
            "ENVIRONMENT=production\nSERVICE_ID=orders\nJWT_SECRET_KEY=name-apart-test-jwt-secret-{key}-0123456789abcdef\n\
             JWT_KEY_ID=k1\nJWT_ISSUER=https://auth.example\nJWT_AUDIENCE=shop\n\
             SERVICE_SECRET=name-apart-test-service-secret-0123456789abc\nSERVICE_ALLOWED_CALLERS=*\n"
        );
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let (code, out, _) = audit(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("orders-canary.env)") && out.contains("key k1"),
        "{out}"
    );
    assert!(out.contains("0 agree on everything"), "{out}");
}
