//! A load walks its source once (the process environment through `environ`, a map through
//! its entries) for both the values it reads and the near-miss names it warns about; nothing
//! is remembered between loads but the schema's names. The process-environment cases run in a
//! child process started with exactly the variables they need, so no test calls `set_var`.

mod common;

use std::ffi::{OsStr, OsString};
use std::process::Command;

use jwt_config::{
    Config, Context, Layered, MapSource, NameFilter, ProblemKind, ProcessEnv, Schema, Secret,
    Source, WarningKind,
};

#[derive(Config, Debug)]
struct Walked {
    jwt_issuer: String,
    #[config(alias = "JWT_ACCESS_EXPIRY_MINUTES", default = 15)]
    jwt_access_token_expire_minutes: u32,
    #[config(secret)]
    jwt_secret_key: Secret<String>,
    service_id: Option<String>,
}

/// The variable that tells the child which case it runs.
const CHILD: &str = "WALK_TEST_CASE";

/// Runs `case` of [`child`] in a process whose environment is exactly `variables`.
fn run_child(case: &str, variables: Vec<(OsString, OsString)>) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env_clear()
        .envs(variables)
        .env(CHILD, case)
        .output()
        .unwrap();
    let shown = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "child {case} failed:\n{shown}");
    assert!(
        shown.contains("1 passed"),
        "child {case} did not run:\n{shown}"
    );
}

fn pairs(list: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    list.iter()
        .map(|(n, v)| (OsString::from(n), OsString::from(v)))
        .collect()
}

/// Not a test of its own: what the child processes of the tests below run.
#[test]
fn child() {
    let Some(case) = std::env::var_os(CHILD) else {
        return;
    };
    match case.to_str().unwrap() {
        "values" => {
            let loaded = Walked::load_with_report(&ProcessEnv).unwrap();
            assert_eq!(loaded.value.jwt_issuer, "https://auth.example.com");
            assert_eq!(loaded.value.jwt_access_token_expire_minutes, 20);
            assert_eq!(
                loaded.value.jwt_secret_key.expose(),
                "from-a-file-0123456789"
            );
            assert_eq!(loaded.value.service_id, None);
            let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
            let alias = loaded
                .warnings
                .iter()
                .find(|w| w.kind() == WarningKind::DeprecatedAlias)
                .expect("the alias is warned about");
            assert!(
                alias.message().contains("JWT_ACCESS_EXPIRY_MINUTES"),
                "{warnings:?}"
            );
            let unknown = loaded
                .warnings
                .iter()
                .find(|w| w.kind() == WarningKind::UnknownVariable)
                .expect("the near-miss name is warned about");
            assert_eq!(unknown.variable(), "JWT_ISSUR", "{warnings:?}");
            assert!(
                unknown.message().contains("did you mean JWT_ISSUER?"),
                "{warnings:?}"
            );
            assert_eq!(warnings.len(), 2, "{warnings:?}");
            // The same values without a report.
            let value = Walked::from_env().unwrap();
            assert_eq!(value.jwt_access_token_expire_minutes, 20);
        }
        "not-unicode" => {
            let error = Walked::from_env().unwrap_err();
            let problem = &error.problems()[0];
            assert_eq!(
                (problem.variable(), problem.kind()),
                ("JWT_ISSUER", ProblemKind::NotUnicode),
                "{error}"
            );
        }
        other => panic!("unknown case {other}"),
    }
}

#[test]
fn the_process_environment_gives_values_aliases_files_and_near_miss_names_in_one_walk() {
    let secret = common::TempFile::new("jwt-secret", "from-a-file-0123456789\n");
    let mut variables = pairs(&[
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_ACCESS_EXPIRY_MINUTES", "20"),
        ("JWT_ISSUR", "https://typo.example.com"),
        ("PATH", "/usr/bin:/bin"),
        ("J", "a one-letter name"),
    ]);
    variables.push(("JWT_SECRET_KEY_FILE".into(), secret.path().into()));
    // Names no filter lets through, around and between the schema's.
    variables.extend((0..100).map(|i| (format!("UNRELATED_{i}").into(), "x".into())));
    run_child("values", variables);
}

#[cfg(unix)]
#[test]
fn a_value_that_is_not_unicode_in_the_process_environment_is_a_problem_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let mut variables = pairs(&[("JWT_SECRET_KEY", "0123456789abcdef0123456789")]);
    variables.push((
        "JWT_ISSUER".into(),
        OsStr::from_bytes(b"https://\xff.example.com").to_owned(),
    ));
    run_child("not-unicode", variables);
}

fn settings() -> MapSource {
    MapSource::new()
        .with("JWT_ISSUER", "https://auth.example.com")
        .with("JWT_SECRET_KEY", "0123456789abcdef0123456789")
}

#[test]
fn a_variable_set_between_two_loads_is_seen_by_the_second() {
    let mut source = settings();
    assert_eq!(
        Walked::from_source(&source)
            .unwrap()
            .jwt_access_token_expire_minutes,
        15
    );
    source.insert("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "45");
    source.insert("JWT_ISSUR", "typo");
    assert_eq!(
        Walked::from_source(&source)
            .unwrap()
            .jwt_access_token_expire_minutes,
        45
    );
    let warnings = Walked::load_with_report(&source).unwrap().warnings;
    assert_eq!(warnings[0].variable(), "JWT_ISSUR");
    source.remove("JWT_ISSUER");
    let error = Walked::from_source(&source).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "JWT_ISSUER");
}

/// A source that asks for name by name only, as a user's own source may.
struct GetOnly(MapSource);

impl Source for GetOnly {
    fn get(&self, name: &str) -> Option<OsString> {
        self.0.get(name)
    }
}

/// A source that lists a name twice, first with the value `get` gives.
struct Twice(MapSource);

impl Source for Twice {
    fn get(&self, name: &str) -> Option<OsString> {
        self.0.get(name)
    }
    fn for_each_variable(
        &self,
        filter: &NameFilter,
        visit: &mut dyn FnMut(&OsStr, &OsStr),
    ) -> bool {
        self.0.for_each_variable(filter, visit);
        visit(
            OsStr::new("JWT_ISSUER"),
            OsStr::new("https://second.example.com"),
        );
        true
    }
}

#[test]
fn a_source_that_cannot_list_its_names_loads_the_same_values_name_by_name() {
    let source = settings().with("JWT_ACCESS_EXPIRY_MINUTES", "30");
    let walked = Walked::load_with_report(&source).unwrap();
    let asked = Walked::load_with_report(&GetOnly(source.clone())).unwrap();
    assert_eq!(
        (
            walked.value.jwt_access_token_expire_minutes,
            asked.value.jwt_access_token_expire_minutes
        ),
        (30, 30)
    );
    assert_eq!(walked.fingerprint(), asked.fingerprint());
    assert_eq!(walked.warnings, asked.warnings);
    // A layer that cannot list makes the whole stack asked name by name, with the same result.
    let layered = Layered::new().over(GetOnly(settings())).over(source);
    let value = Walked::from_source(&layered).unwrap();
    assert_eq!(value.jwt_access_token_expire_minutes, 30);
}

#[test]
fn a_name_listed_twice_takes_the_first_value_as_getenv_does() {
    let value = Walked::from_source(&Twice(settings())).unwrap();
    assert_eq!(value.jwt_issuer, "https://auth.example.com");
}

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Lengths {
    #[config(min_len = 8)]
    name: String,
    #[config(min_len = 16)]
    key: Secret<String>,
}

#[test]
fn a_value_too_short_is_out_of_range_with_or_without_a_report() {
    let source = MapSource::new().with("NAME", "short").with("KEY", "tiny");
    let quick = Lengths::from_source(&source).unwrap_err();
    let reported = Lengths::load_with_report(&source).unwrap_err();
    for error in [&quick, &reported] {
        let kinds: Vec<_> = error
            .problems()
            .iter()
            .map(|p| (p.variable(), p.kind()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("NAME", ProblemKind::OutOfRange),
                ("KEY", ProblemKind::OutOfRange)
            ],
            "{error}"
        );
        assert!(!error.to_string().contains("tiny"), "{error}");
    }
    assert_eq!(quick.to_string(), reported.to_string());
}

#[derive(Config, Debug)]
struct Inner {
    port: u16,
}

/// A hand-written struct whose schema does not show the derived one it loads.
#[derive(Debug)]
struct Manual;

impl Config for Manual {
    const SCHEMA: Schema = Schema::new("Manual", "Loads `Inner` by hand.");
    fn load(context: &mut Context<'_>) -> Option<Self> {
        Inner::load(context).map(|inner| {
            assert_eq!(inner.port, 8080);
            Manual
        })
    }
}

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Outer {
    #[config(flatten)]
    manual: Manual,
    #[config(alias = "OLD_PORT", file)]
    port: u16,
}

#[test]
fn a_variable_of_the_same_name_read_by_hand_gets_its_own_names_not_the_schemas() {
    // `Inner`'s PORT has no alias and no `_FILE`: OLD_PORT is never taken for its PORT_FILE.
    let source = MapSource::new()
        .with("PORT", "8080")
        .with("OLD_PORT", "8080");
    let outer = Outer::load_with_report(&source).unwrap();
    assert_eq!(outer.value.port, 8080);
    let outer = Outer::from_source(&source).unwrap();
    assert_eq!(outer.port, 8080);
}

/// No rule by environment: the walk does not keep `ENVIRONMENT`, and a check that asks for it
/// reads it from the source.
#[derive(Config, Debug)]
#[config(validate = Self::check)]
#[allow(dead_code)]
struct AsksForEnvironment {
    #[config(default = 1)]
    workers: u16,
}

impl AsksForEnvironment {
    fn check(_: &AsksForEnvironmentPartial<'_>, context: &mut Context<'_>) {
        if context.environment() == jwt_config::Environment::Production {
            context.problem("WORKERS", ProblemKind::Rule, "production asked");
        }
    }
}

#[test]
fn a_check_that_asks_for_the_environment_reads_it_whatever_the_walk_kept() {
    let source = MapSource::new().with("ENVIRONMENT", "production");
    let error = AsksForEnvironment::from_source(&source).unwrap_err();
    assert_eq!(error.problems()[0].message(), "production asked");
    assert!(AsksForEnvironment::from_source(&MapSource::new()).is_ok());
    let error = AsksForEnvironment::from_source(&source.with("ENVIRONMENT", "bogus")).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "ENVIRONMENT");
}
