//! The `jwt-config` binary on env files the tests write: exit codes and output.

use std::ffi::OsStr;
use std::path::PathBuf;

use assert_cmd::Command;

const JWT_SECRET: &str = "cli-test-jwt-secret-0123456789abcdefghij";
const SERVICE_SECRET: &str = "cli-test-service-secret-0123456789abcdef";

/// An env file in a directory of its own; both are removed when it is dropped.
struct EnvFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl AsRef<OsStr> for EnvFile {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}

impl std::fmt::Display for EnvFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.path.display().fmt(f)
    }
}

fn env_file(name: &str, lines: &[&str]) -> EnvFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    EnvFile { _dir: dir, path }
}

fn production(service_id: &str, extra: &[&str]) -> Vec<String> {
    let mut lines = vec![
        "ENVIRONMENT=production".to_owned(),
        format!("SERVICE_ID={service_id}"),
        format!("JWT_SECRET_KEY={JWT_SECRET}"),
        "JWT_ISSUER=https://auth.example.com".to_owned(),
        "JWT_AUDIENCE=backend".to_owned(),
        format!("SERVICE_SECRET={SERVICE_SECRET}"),
        "SERVICE_ALLOWED_CALLERS=*".to_owned(),
    ];
    lines.extend(extra.iter().map(|line| (*line).to_owned()));
    lines
}

/// auth in production, signing its calls with its own Ed25519 key (no shared secret).
fn auth_on_its_own_key() -> EnvFile {
    let own: Vec<String> = production(
        "auth",
        &[&format!(
            "SERVICE_PRIVATE_KEY=\"{}\"",
            pem_line("ed25519_private")
        )],
    )
    .into_iter()
    .filter(|l| !l.starts_with("SERVICE_SECRET="))
    .collect();
    file_of("auth.env", &own)
}

fn file_of(name: &str, lines: &[String]) -> EnvFile {
    env_file(name, &lines.iter().map(String::as_str).collect::<Vec<_>>())
}

fn jwt_config() -> Command {
    let mut command = Command::cargo_bin("jwt-config").unwrap();
    command.env_clear();
    command
}

fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn check_prints_the_effective_configuration_redacted_and_exits_0() {
    let file = file_of(
        "auth.env",
        &production("auth", &["JWT_ACCESS_EXPIRY_MINUTES=15"]),
    );
    let (code, out, _) = run(jwt_config().args(["check", "--env-file"]).arg(&file));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "JWT_ACCESS_TOKEN_EXPIRE_MINUTES = 15  [from legacy alias JWT_ACCESS_EXPIRY_MINUTES]"
        ),
        "{out}"
    );
    assert!(out.contains("JWT_SECRET_KEY = [redacted]"));
    assert!(out.contains(
        "warning: JWT_ACCESS_TOKEN_EXPIRE_MINUTES: JWT_ACCESS_EXPIRY_MINUTES is a deprecated alias"
    ));
    assert!(out.contains("effective fingerprint: jwtcfg2-"));
    assert!(!out.contains(JWT_SECRET) && !out.contains(SERVICE_SECRET));
    assert!(
        !out.contains("\x1b["),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let file = env_file(
        "bad.env",
        &[
            "ENVIRONMENT=staging",
            "JWT_ALGORITHM=none",
            "JWT_LEEWAY_SECONDS=900",
        ],
    );
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 1);
    for variable in [
        "JWT_ALGORITHM",
        "JWT_LEEWAY_SECONDS",
        "JWT_ISSUER",
        "SERVICE_ID",
        "SERVICE_SECRET",
    ] {
        assert!(
            out.contains(&format!("problem {variable}:")),
            "{variable} in {out}"
        );
    }
}

#[test]
fn check_layers_files_and_the_process_environment_and_takes_an_environment() {
    let base = file_of("base.env", &production("auth", &["JWT_LEEWAY_SECONDS=10"]));
    let over = env_file("over.env", &["JWT_LEEWAY_SECONDS=20"]);
    let (code, out, _) = run(jwt_config()
        .args(["check", "--env-file"])
        .arg(&base)
        .arg("--env-file")
        .arg(&over));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("JWT_LEEWAY_SECONDS = 20"),
        "later files win: {out}"
    );
    let mut command = jwt_config();
    command
        .env("JWT_LEEWAY_SECONDS", "40")
        .args(["check", "--env-file"])
        .arg(&base);
    assert!(
        run(&mut command).1.contains("JWT_LEEWAY_SECONDS = 40"),
        "the process wins"
    );
    let mut isolated = jwt_config();
    isolated
        .env("JWT_LEEWAY_SECONDS", "40")
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&base);
    assert!(run(&mut isolated).1.contains("JWT_LEEWAY_SECONDS = 10"));
    let dev = env_file("dev.env", &["SERVICE_ID=auth", "JWT_SECRET_KEY=short"]);
    let (code, out, _) = run(jwt_config()
        .args(["check", "--environment", "prod", "--env-file"])
        .arg(&dev));
    assert_eq!(code, 1);
    assert!(out.contains("ENVIRONMENT=production"), "{out}");
}

#[test]
fn check_in_json_for_pipelines() {
    let file = file_of("auth.env", &production("auth", &[]));
    let (code, out, _) = run(jwt_config()
        .args(["check", "--format", "json", "--env-file"])
        .arg(&file));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["environment"], "production");
    assert!(
        json["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("jwtcfg2-")
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        run(jwt_config().args(["check", "--env-file", "/nonexistent/x.env"])).0,
        2
    );
    let (code, _, err) = run(jwt_config().args(["check", "--environment", "qa"]));
    assert_eq!(code, 2);
    assert!(err.contains("expected one of development"), "{err}");
    assert_eq!(run(jwt_config().arg("frobnicate")).0, 2);
    assert_eq!(run(jwt_config().arg("--help")).0, 0);
}

#[test]
fn diff_catches_the_legacy_15_minute_auth_service_against_a_backend_expecting_30() {
    let auth = file_of(
        "auth.env",
        &production("auth", &["JWT_ACCESS_EXPIRY_MINUTES=15"]),
    );
    let backend = file_of(
        "backend.env",
        &production("backend", &["JWT_ACCESS_TOKEN_EXPIRE_MINUTES=30"]),
    );
    let (code, out, _) = run(jwt_config().arg("diff").arg(&auth).arg(&backend));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("differs JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{out}"
    );
    assert!(
        out.contains("15  (from legacy alias JWT_ACCESS_EXPIRY_MINUTES)")
            && out.contains("30  (set)"),
        "{out}"
    );
    assert!(
        out.contains("per service, not counted: SERVICE_ID"),
        "{out}"
    );
    assert!(out.contains("1 shared setting differs"), "{out}");
}

#[test]
fn diff_shows_secrets_only_as_differing_and_counts_defaults_by_value() {
    let a = file_of("a.env", &production("auth", &["JWT_LEEWAY_SECONDS=30"]));
    let b = file_of("b.env", &production("backend", &[]));
    let (code, out, _) = run(jwt_config().arg("diff").arg(&a).arg(&b));
    assert_eq!(code, 0, "30 set and 30 by default are no difference: {out}");
    let c = file_of(
        "c.env",
        &production(
            "backend",
            &[
                "SERVICE_SECRET=another-service-secret-0123456789abcdef",
                "JWT_LEEWAY_SECONDS=60",
            ],
        ),
    );
    let (code, out, _) = run(jwt_config()
        .args(["diff", "--format", "json"])
        .arg(&a)
        .arg(&c));
    assert_eq!(code, 1);
    assert!(!out.contains(SERVICE_SECRET) && !out.contains("another-service-secret"));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["variable"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["JWT_LEEWAY_SECONDS"]);
    // Service-call keys are compared by agreement: each receiver verifies the other's calls.
    let refused: Vec<&serde_json::Value> = json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["accepted"] == false)
        .collect();
    assert_eq!(refused.len(), 2, "{out}");
    for key in refused {
        assert_eq!(key["purpose"], "service_calls");
        assert!(
            key["problem"].as_str().unwrap().contains("SERVICE_SECRET"),
            "{out}"
        );
    }
}

#[test]
fn template_docs_and_schema_describe_every_variable() {
    let (code, template, _) = run(jwt_config().args(["template", "--environment", "production"]));
    assert_eq!(code, 0);
    assert!(
        template.contains("\nSERVICE_SECRET=<secret>\n"),
        "required in production: {template}"
    );
    assert!(template.contains("# JWT_ACCESS_TOKEN_EXPIRE_MINUTES=15\n"));
    assert!(template.contains("legacy alias JWT_ACCESS_EXPIRY_MINUTES"));
    assert!(template.contains("or JWT_SECRET_KEY_FILE=/path/to/file"));
    let (_, docs, _) = run(jwt_config().arg("docs"));
    assert!(
        docs.contains(
            "| `JWT_ACCESS_TOKEN_EXPIRE_MINUTES`<br>legacy `JWT_ACCESS_EXPIRY_MINUTES` |"
        ) && docs.contains("default `15`")
    );
    let (_, schema, _) = run(jwt_config().arg("schema"));
    let json: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(json["variables"].as_array().unwrap().len(), 21);
    assert_eq!(json["fingerprint"].as_str().unwrap().len(), 16);
}

#[test]
fn template_for_staging_sets_environment_and_never_prefills_a_development_default() {
    let (code, template, _) = run(jwt_config().args(["template", "--environment", "staging"]));
    assert_eq!(code, 0);
    assert!(template.contains("\nENVIRONMENT=staging\n"), "{template}");
    assert!(template.contains("\nJWT_ISSUER=\n"), "{template}");
    assert!(!template.contains("=jwt-config-dev"), "{template}");
    let (_, docs, _) = run(jwt_config().arg("docs"));
    assert!(
        docs.contains("required when JWT_ALGORITHM is HS256, HS384 or HS512"),
        "{docs}"
    );
}

#[test]
fn diff_says_set_against_unset_for_a_secret_and_flags_a_copied_service() {
    let a = file_of("a.env", &production("auth", &[]));
    let mut lines = production("auth", &[]);
    lines.retain(|l| !l.starts_with("JWT_SECRET_KEY"));
    lines.push("JWT_ALGORITHM=RS256".into());
    let b = file_of("b.env", &lines);
    let (code, out, _) = run(jwt_config().arg("diff").arg(&a).arg(&b));
    assert_eq!(code, 1, "{out}");
    // b does not load (RS256 without a key): its problems are listed.
    assert!(out.contains("does not load"), "{out}");
    let b = file_of("b2.env", &production("auth", &["JWT_LEEWAY_SECONDS=10"]));
    let (code, out, _) = run(jwt_config().arg("diff").arg(&a).arg(&b));
    assert_eq!(code, 1);
    assert!(
        out.contains("SERVICE_ID: is the same in both files"),
        "{out}"
    );
}

#[test]
fn diff_in_json_carries_values_and_origins_as_data_also_when_a_file_does_not_load() {
    let a = file_of(
        "a.env",
        &production("auth", &["JWT_ACCESS_EXPIRY_MINUTES=15"]),
    );
    let b = file_of(
        "b.env",
        &production("backend", &["JWT_ACCESS_TOKEN_EXPIRE_MINUTES=30"]),
    );
    let (code, out, _) = run(jwt_config()
        .args(["diff", "--format", "json"])
        .arg(&a)
        .arg(&b));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let difference = &json["differences"][0];
    assert_eq!(difference["variable"], "JWT_ACCESS_TOKEN_EXPIRE_MINUTES");
    assert_eq!(difference["a"]["value"], "15");
    assert_eq!(difference["a"]["origin"]["kind"], "alias");
    assert_eq!(
        difference["a"]["origin"]["variable"],
        "JWT_ACCESS_EXPIRY_MINUTES"
    );
    assert_eq!(difference["a"]["origin"]["line"], 8);
    let broken = env_file("broken.env", &["ENVIRONMENT=staging"]);
    let (code, out, _) = run(jwt_config()
        .args(["diff", "--format", "json"])
        .arg(&a)
        .arg(&broken));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["files"][1]["valid"], false);
    let unreadable = env_file("bad.env", &["NOT A LINE"]);
    let (code, out, _) = run(jwt_config()
        .args(["check", "--format", "json", "--env-file"])
        .arg(&unreadable));
    assert_eq!(code, 2);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        json["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 1")
    );
}

#[test]
fn strict_turns_warnings_into_failure_and_environment_asserts() {
    let file = file_of(
        "auth.env",
        &production("auth", &["JWT_ACCES_TOKEN_EXPIRE_MINUTES=60"]),
    );
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("did you mean JWT_ACCESS_TOKEN_EXPIRE_MINUTES?"),
        "{out}"
    );
    let (code, _, _) = run(jwt_config()
        .args(["check", "--strict", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 1);
    let (code, out, _) = run(jwt_config()
        .args([
            "check",
            "--environment",
            "staging",
            "--no-process-env",
            "--env-file",
        ])
        .arg(&file));
    assert_eq!(code, 1);
    assert!(out.contains("but --environment says staging"), "{out}");
}

#[test]
fn an_environment_only_the_flag_supplies_is_a_warning_naming_environment_and_fails_strict() {
    // The files set no ENVIRONMENT: the deployed service will not have the flag's value.
    let lines: Vec<String> = production("auth", &[])
        .into_iter()
        .filter(|l| !l.starts_with("ENVIRONMENT="))
        .collect();
    let file = file_of("auth.env", &lines);
    let args = ["check", "--environment", "staging", "--no-process-env"];
    let (code, out, _) = run(jwt_config().args(args).arg("--env-file").arg(&file));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: ENVIRONMENT: is set by no input")
            && out.contains("the deployed service must set ENVIRONMENT=staging itself"),
        "{out}"
    );
    let (code, out, _) = run(jwt_config()
        .args(args)
        .arg("--strict")
        .arg("--env-file")
        .arg(&file));
    assert_eq!(code, 1, "{out}");
    // Set by the file itself: no warning.
    let set = file_of("auth.env", &production("auth", &[]));
    let (code, out, _) = run(jwt_config()
        .args([
            "check",
            "--environment",
            "production",
            "--no-process-env",
            "--strict",
        ])
        .arg("--env-file")
        .arg(&set));
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("warning"), "{out}");
}

#[test]
fn no_process_env_never_substitutes_and_values_cannot_forge_lines() {
    let leaky = env_file(
        "leaky.env",
        &["ENVIRONMENT=development", "SERVICE_ID=$\\${CANARY}"],
    );
    let (code, out, err) = run(jwt_config()
        .env("CANARY", "canary-value-4f2a")
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&leaky));
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("canary-value") && !err.contains("canary-value"));
    let forged = env_file(
        "forged.env",
        &[
            "ENVIRONMENT=development",
            "SERVICE_ID=\"a\\nvalid JwtConfig\x1b[31m\"",
            &format!("JWT_SECRET_KEY={JWT_SECRET}"),
        ],
    );
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&forged));
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains('\x1b') && out.contains("SERVICE_ID = a\\nvalid JwtConfig"),
        "{out}"
    );
}

/// An output whose reader went away, as `jwt-config docs | head -1` leaves it.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_closed_output_ends_the_command_quietly() {
    let mut err = Vec::new();
    let code = jwt_config_cli::run::<jwt_config::JwtConfig>(
        ["jwt-config", "docs"],
        &mut ClosedPipe,
        &mut err,
        false,
    );
    assert_eq!((code, err.len()), (0, 0));
}

#[test]
fn keys_lists_ids_kinds_and_roles_and_never_key_material() {
    let next = base64_url("next-secret-of-the-cli-test-0123456789abcdef");
    let set = format!(
        r#"JWT_VERIFICATION_KEYS='{{"keys":[{{"kid":"next","kty":"oct","k":"{next}"}}]}}'"#
    );
    let file = file_of(
        "auth.env",
        &production("auth", &["JWT_KEY_ID=current", &set]),
    );
    let (code, out, _) = run(jwt_config()
        .args(["keys", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("current  a shared secret, signs and verifies (JWT_SECRET_KEY)"),
        "{out}"
    );
    assert!(
        out.contains("next  a shared secret, verifies (JWT_VERIFICATION_KEYS)"),
        "{out}"
    );
    assert!(
        out.contains(" a shared secret for service calls, signs and verifies (SERVICE_SECRET)"),
        "{out}"
    );
    assert!(!out.contains(JWT_SECRET) && !out.contains(&next), "{out}");
    let (_, json, _) = run(jwt_config()
        .args(["keys", "--format", "json", "--no-process-env", "--env-file"])
        .arg(&file));
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let purposes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, ["tokens", "tokens", "service_calls"]);
    let (_, jwks, _) = run(jwt_config()
        .args(["keys", "--jwks", "--no-process-env", "--env-file"])
        .arg(&file));
    let json: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(
        json["keys"].as_array().unwrap().len(),
        0,
        "no oct key is ever published"
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn diff_reports_an_issuer_that_would_sign_with_a_key_its_verifiers_lack() {
    let next = "next-secret-of-the-cli-test-0123456789abcdef";
    let set = |kid: &str, secret: &str| {
        format!(
            r#"JWT_VERIFICATION_KEYS='{{"keys":[{{"kid":"{kid}","kty":"oct","k":"{}"}}]}}'"#,
            base64_url(secret)
        )
    };
    let switched_lines: Vec<String> =
        production("auth", &["JWT_KEY_ID=k2", &set("k1", JWT_SECRET)])
            .into_iter()
            .map(|l| {
                if l.starts_with("JWT_SECRET_KEY=") {
                    format!("JWT_SECRET_KEY={next}")
                } else {
                    l
                }
            })
            .collect();
    let issuer = file_of("issuer.env", &switched_lines);
    let old = file_of("old.env", &production("backend", &["JWT_KEY_ID=k1"]));
    let (code, out, _) = run(jwt_config().arg("diff").arg(&issuer).arg(&old));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot verify what") && out.contains("(key k2)"),
        "{out}"
    );
    let ready = file_of(
        "ready.env",
        &production("backend", &["JWT_KEY_ID=k1", &set("k2", next)]),
    );
    let (code, out, _) = run(jwt_config().arg("diff").arg(&issuer).arg(&ready));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("verifies what") && !out.contains("JWT_SECRET_KEY (secret)"),
        "{out}"
    );
}

/// A PEM of the facade's test keys, as an env file carries it (escaped line breaks).
fn pem_line(name: &str) -> String {
    let path = format!("{}/../tests/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .replace('\n', "\\n")
}

#[test]
fn two_verifiers_with_no_key_in_common_differ() {
    let verifier = |name: &str, key: &str| {
        file_of(
            &format!("{name}.env"),
            &production(
                name,
                &[
                    "JWT_ALGORITHM=RS256",
                    &format!("JWT_PUBLIC_KEY=\"{}\"", pem_line(key)),
                ],
            ),
        )
    };
    let billing = verifier("billing", "rsa2048_public");
    let backend = verifier("backend", "rsa2048_other_public");
    let (code, out, _) = run(jwt_config().arg("diff").arg(&billing).arg(&backend));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no key in common") && out.contains("JWT_PUBLIC_KEY"),
        "{out}"
    );
    assert!(!out.contains("every shared setting agrees"), "{out}");
    let (code, out, _) = run(jwt_config().arg("audit").arg(&billing).arg(&backend));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no key in common"), "{out}");
    // "Fix first" says the gap itself, not a key to add that has no id.
    let fix = out.lines().find(|l| l.starts_with("fix first:")).unwrap();
    assert!(fix.contains("no key in common"), "{fix}");
    // The same public key on both: they agree.
    let same = verifier("orders", "rsa2048_public");
    let (code, out, _) = run(jwt_config().arg("diff").arg(&billing).arg(&same));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn service_call_keys_are_compared_each_receiver_verifying_the_callers_it_allows() {
    // auth names its shared secret s2; backend knows the same secret under its derived id.
    let auth = file_of("auth.env", &production("auth", &["SERVICE_KEY_ID=s2"]));
    let backend = file_of("backend.env", &production("backend", &[]));
    let (code, out, _) = run(jwt_config().arg("diff").arg(&auth).arg(&backend));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SERVICE_KEY_ID"), "{out}");
    let (code, out, _) = run(jwt_config().arg("audit").arg(&auth).arg(&backend));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SERVICE_KEY_ID"), "{out}");
    // auth signs its calls with its own key; backend allows auth but lacks its public key.
    let auth = auth_on_its_own_key();
    let backend = file_of(
        "backend.env",
        &production("backend", &["SERVICE_ALLOWED_CALLERS=auth"]),
    );
    for command in ["diff", "audit"] {
        let (code, out, _) = run(jwt_config().arg(command).arg(&auth).arg(&backend));
        assert_eq!(code, 1, "{command}: {out}");
        assert!(
            out.contains("SERVICE_VERIFICATION_KEYS") && out.contains("kid auth"),
            "{command}: {out}"
        );
    }
    // A receiver that does not allow auth's calls need not know its key.
    let elsewhere = file_of(
        "backend.env",
        &production("backend", &["SERVICE_ALLOWED_CALLERS=billing"]),
    );
    let (code, out, _) = run(jwt_config().arg("diff").arg(&auth).arg(&elsewhere));
    assert!(!out.contains("kid auth"), "{code}: {out}");
}

#[test]
fn a_drifted_secret_key_names_the_variable_and_both_fixes() {
    const OTHER: &str = "cli-test-other-jwt-secret-0123456789abcd";
    let a = file_of("a.env", &production("auth", &[]));
    let b = file_of(
        "b.env",
        &production("backend", &[&format!("JWT_SECRET_KEY={OTHER}")]),
    );
    let (code, out, _) = run(jwt_config().arg("diff").arg(&a).arg(&b));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("JWT_SECRET_KEY"), "{out}");
    assert!(
        out.contains("to the same value") && out.contains("JWT_VERIFICATION_KEYS"),
        "{out}"
    );
    assert!(!out.contains(OTHER) && !out.contains(JWT_SECRET), "{out}");
    // The verifier holds the issuer's new key as its own, but not under its JWT_KEY_ID.
    let issuer = file_of("issuer.env", &production("auth", &["JWT_KEY_ID=k2"]));
    let (code, out, _) = run(jwt_config().arg("diff").arg(&issuer).arg(&a));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("JWT_KEY_ID") && out.contains("k2"), "{out}");
}

#[test]
fn an_isolated_check_never_reads_the_checking_machines_files_on_the_env_files_say_so() {
    const CI_SECRET: &str = "ci-secret-sentinel-5d0b";
    let file = file_of(
        "auth.env",
        &production("auth", &["JWT_PUBLIC_KEY_FILE=/proc/self/environ"]),
    );
    let (code, out, _) = run(jwt_config()
        .env("CI_TOKEN", CI_SECRET)
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "JWT_PUBLIC_KEY_FILE: points to /proc/self/environ, which was not read (not checked)"
        ) && out.contains("--allow-file-dir"),
        "{out}"
    );
    assert!(!out.contains(CI_SECRET), "{out}");
}

#[test]
fn a_key_files_contents_are_never_echoed_and_another_directory_needs_allowing() {
    const LABEL: &str = "SENTINEL_LABEL_4e9a";
    let keys = tempfile::tempdir().unwrap();
    let pem = keys.path().join("public.pem");
    std::fs::write(&pem, format!("-----BEGIN {LABEL}-----\nabc\n-----")).unwrap();
    let line = format!("JWT_PUBLIC_KEY_FILE={}", pem.display());
    let file = file_of("auth.env", &production("auth", &[&line]));
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&file));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("was not read (not checked)"), "{out}");
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--allow-file-dir"])
        .arg(keys.path())
        .arg("--env-file")
        .arg(&file));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "the contents of {} (not shown) are invalid",
            pem.display()
        )),
        "{out}"
    );
    assert!(!out.contains(LABEL), "{out}");
}

#[test]
fn json_kinds_and_key_roles_are_identifiers() {
    let lines: Vec<String> = production("auth", &["JWT_ACCESS_EXPIRY_MINUTES=15"])
        .into_iter()
        .filter(|l| !l.starts_with("SERVICE_ID="))
        .collect();
    let file = file_of("auth.env", &lines);
    let (code, out, _) = run(jwt_config()
        .args([
            "check",
            "--format",
            "json",
            "--no-process-env",
            "--env-file",
        ])
        .arg(&file));
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["problems"][0]["kind"], "missing", "{out}");
    assert_eq!(json["warnings"][0]["kind"], "deprecated_alias", "{out}");
    let file = file_of("auth.env", &production("auth", &[]));
    let (_, out, _) = run(jwt_config()
        .args(["keys", "--format", "json", "--no-process-env", "--env-file"])
        .arg(&file));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["signs"], true, "{out}");
    assert_eq!(json[0]["verifies"], true, "{out}");
    assert!(json[0].get("role").is_none(), "{out}");
    assert_eq!(json[0]["kind"], "hmac", "{out}");
}

#[test]
fn diff_asserts_the_environment_as_audit_does_and_markdown_is_audits_alone() {
    let a = file_of("a.env", &production("auth", &[]));
    let unset: Vec<String> = production("backend", &[])
        .into_iter()
        .filter(|l| !l.starts_with("ENVIRONMENT="))
        .collect();
    let b = file_of("b.env", &unset);
    let (code, out, _) = run(jwt_config()
        .args(["diff", "--environment", "staging"])
        .arg(&a)
        .arg(&b));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("but --environment says staging"), "{out}");
    assert!(
        out.contains("ENVIRONMENT: is not set; --environment staging asserts it"),
        "{out}"
    );
    let (code, _, err) = run(jwt_config()
        .args(["diff", "--format", "markdown"])
        .arg(&a)
        .arg(&b));
    assert_eq!(code, 2);
    assert!(err.contains("[possible values: text, json]"), "{err}");
}

#[test]
fn keys_that_cannot_be_compared_are_never_said_to_agree() {
    // Development allows secrets under 32 bytes; they get no fingerprint.
    let development = |name: &str, secret: &str| {
        file_of(
            &format!("{name}.env"),
            &[
                "ENVIRONMENT=development".to_owned(),
                format!("SERVICE_ID={name}"),
                format!("JWT_SECRET_KEY={secret}"),
                "JWT_KEY_ID=dev".to_owned(),
            ],
        )
    };
    let a = development("auth", "short-dev-key-1");
    let b = development("backend", "short-dev-key-2");
    for command in ["diff", "audit"] {
        let (code, out, _) = run(jwt_config().arg(command).arg(&a).arg(&b));
        assert_eq!(code, 1, "{command}: {out}");
        assert!(out.contains("shorter than 32 bytes"), "{command}: {out}");
        assert!(
            !out.contains("every shared setting agrees") && !out.contains("ok every service"),
            "{command}: {out}"
        );
    }
}

/// The facade's RSA fixture as one env-file line, its newlines escaped.
fn rsa_line(variable: &str, name: &str) -> String {
    let path = format!("{}/../tests/keys/{name}.pem", env!("CARGO_MANIFEST_DIR"));
    let pem = std::fs::read_to_string(path).unwrap();
    format!("{variable}=\"{}\"", pem.trim_end().replace('\n', "\\n"))
}

#[test]
fn an_rsa_signer_fails_strict_on_rust_crypto_only_and_a_verifier_never() {
    let signer = file_of(
        "auth.env",
        &production(
            "auth",
            &[
                "JWT_ALGORITHM=RS256",
                &rsa_line("JWT_PRIVATE_KEY", "rsa2048_private"),
                &rsa_line("JWT_PUBLIC_KEY", "rsa2048_public"),
            ],
        ),
    );
    let check = ["check", "--strict", "--no-process-env", "--env-file"];
    let (code, out, _) = run(jwt_config().args(check).arg(&signer));
    if cfg!(feature = "rust-crypto") {
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("RUSTSEC-2023-0071") && out.contains("`aws-lc`"),
            "{out}"
        );
    } else {
        assert_eq!(code, 0, "{out}");
        assert!(!out.contains("RUSTSEC"), "{out}");
    }
    let verifier = file_of(
        "backend.env",
        &production(
            "backend",
            &[
                "JWT_ALGORITHM=RS256",
                &rsa_line("JWT_PUBLIC_KEY", "rsa2048_public"),
            ],
        ),
    );
    let (code, out, _) = run(jwt_config().args(check).arg(&verifier));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn audit_draws_who_may_call_whom_and_where_a_callers_key_is_missing() {
    // auth signs its calls with its own key; backend allows auth but lacks its public key;
    // billing allows every service (SERVICE_ALLOWED_CALLERS unset) and shares the secret.
    let auth = auth_on_its_own_key();
    let backend = file_of(
        "backend.env",
        &production("backend", &["SERVICE_ALLOWED_CALLERS=auth"]),
    );
    let billing = file_of("billing.env", &production("billing", &[]));
    let inputs = [&auth, &backend, &billing];
    let (code, out, _) = run(jwt_config()
        .arg("audit")
        .args(inputs)
        .args(["--format", "json"]));
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let calls = report["calls"].as_array().unwrap();
    let to = |receiver: &str| {
        calls
            .iter()
            .find(|c| c["receiver"] == receiver)
            .unwrap_or_else(|| panic!("{receiver}: {out}"))
    };
    let backend_calls = to("backend");
    assert_eq!(backend_calls["every_service"], false, "{out}");
    assert_eq!(
        backend_calls["callers"].as_array().unwrap().len(),
        1,
        "{out}"
    );
    assert_eq!(backend_calls["callers"][0]["key_missing"], true, "{out}");
    assert_eq!(to("billing")["every_service"], true, "{out}");
    let (_, markdown, _) = run(jwt_config()
        .arg("audit")
        .args(inputs)
        .args(["--format", "markdown"]));
    assert!(markdown.contains("```mermaid\nflowchart LR"), "{markdown}");
    assert!(
        markdown
            .lines()
            .any(|l| l.ends_with(r#"s1["auth"] -. key missing .-> s0["backend"]"#)),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "(`SERVICE_ALLOWED_CALLERS` `*`, or unset in development): `auth`, `billing`"
        ),
        "{markdown}"
    );
    let (_, text, _) = run(jwt_config().arg("audit").args(inputs));
    let line = text
        .lines()
        .find(|l| l.starts_with("calls") && l.contains("backend <-"))
        .unwrap();
    assert!(line.contains("cannot verify"), "{line}");
}

#[test]
fn an_unset_allow_list_stops_a_deployed_receiver_and_fails_strict_in_development() {
    let without: Vec<String> = production("backend", &[])
        .into_iter()
        .filter(|l| !l.starts_with("SERVICE_ALLOWED_CALLERS="))
        .collect();
    let deployed = file_of("backend.env", &without);
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&deployed));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SERVICE_ALLOWED_CALLERS"), "{out}");
    assert!(out.contains("`*`") && out.contains("`none`"), "{out}");
    // `audit` sees the same: the receiver does not start.
    let (code, out, _) = run(jwt_config().arg("audit").arg(&deployed));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SERVICE_ALLOWED_CALLERS"), "{out}");
    // In development it starts, with a warning that `--strict` turns into a failure.
    let development: Vec<String> = without
        .iter()
        .map(|l| l.replace("ENVIRONMENT=production", "ENVIRONMENT=development"))
        .collect();
    let development = file_of("backend.env", &development);
    let (code, out, _) = run(jwt_config()
        .args(["check", "--no-process-env", "--env-file"])
        .arg(&development));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SERVICE_ALLOWED_CALLERS"), "{out}");
    let (code, _, _) = run(jwt_config()
        .args(["check", "--strict", "--no-process-env", "--env-file"])
        .arg(&development));
    assert_eq!(code, 1);
}
