//! Loading configuration: derived beside hand-written loaders of the same structs.
//!
//! The headline case is a JWT-like schema of 12 variables whose names share the `JWT_` and
//! `SERVICE_` prefixes (so the unknown-name scan runs on every load), one set under its legacy
//! alias, a rule by environment and a secret, in process environments of 13 and 113
//! variables; then a 12-field struct without name families (from the process environment,
//! a `MapSource` and with a report), and `JwtConfig` itself.
//!
//! Run: `cargo bench --bench load`. The process-environment cases run in child processes
//! started with exactly the variables shown (`env_clear`), so nothing here calls `set_var`.
//! For instruction counts: `--repeat CASE N` with `LOAD_BENCH_EXTRA=0|100` (see
//! `scripts/bench-report.sh`).

use std::hint::black_box;
use std::process::Command;

mod support;

use jwt_config::jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use jwt_config::{Config, JwtConfig, MapSource, Secret};
use support::{measure, measure_samples, median, median_ratio, report, report_ratio};

/// A service's JWT settings as most services declare them: two name families, a legacy
/// alias, a secret required by environment, lists and ranges.
#[derive(Config, Debug)]
#[allow(dead_code)]
struct JwtLike {
    #[config(default = "HS256")]
    jwt_algorithm: String,
    #[config(min_len = 32)]
    jwt_secret_key: Secret<String>,
    jwt_issuer: String,
    jwt_audience: Vec<String>,
    #[config(alias = "JWT_ACCESS_EXPIRY_MINUTES", default = 15, range(1..=1440))]
    jwt_access_token_expire_minutes: u64,
    #[config(default = 7, range(1..=90))]
    jwt_refresh_token_expire_days: u64,
    #[config(default = 30, range(0..=300))]
    jwt_leeway_seconds: u64,
    jwt_key_id: Option<String>,
    service_id: String,
    #[config(required_in(staging, production))]
    service_secret: Option<Secret<String>>,
    #[config(default = 60, range(1..=3600))]
    service_token_lifetime_seconds: u64,
    service_allowed_callers: Option<Vec<String>>,
}

/// The same struct read by hand: `std::env::var` a variable, the alias, the rule by
/// environment and the ranges checked, nothing warned about.
fn hand_written_jwt_like() -> Result<JwtLike, String> {
    fn number(
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, String> {
        let value = match std::env::var(name) {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("{name} is invalid"))?,
            Err(_) => default,
        };
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(format!("{name} is out of range"))
        }
    }
    let required = |name: &str| std::env::var(name).map_err(|_| format!("{name} is missing"));
    let list = |text: String| {
        text.split(',')
            .map(|s| s.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let production = matches!(
        std::env::var("ENVIRONMENT").as_deref(),
        Ok("staging" | "production")
    );
    let secret_key = required("JWT_SECRET_KEY")?;
    if secret_key.len() < 32 {
        return Err("JWT_SECRET_KEY is too short".into());
    }
    let access_minutes = match std::env::var("JWT_ACCESS_TOKEN_EXPIRE_MINUTES")
        .or_else(|_| std::env::var("JWT_ACCESS_EXPIRY_MINUTES"))
    {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| "JWT_ACCESS_TOKEN_EXPIRE_MINUTES is invalid")?,
        Err(_) => 15,
    };
    if !(1..=1440).contains(&access_minutes) {
        return Err("JWT_ACCESS_TOKEN_EXPIRE_MINUTES is out of range".into());
    }
    let service_secret = std::env::var("SERVICE_SECRET").ok();
    if production && service_secret.is_none() {
        return Err("SERVICE_SECRET is missing".into());
    }
    Ok(JwtLike {
        jwt_algorithm: std::env::var("JWT_ALGORITHM").unwrap_or_else(|_| "HS256".to_owned()),
        jwt_secret_key: Secret::new(secret_key),
        jwt_issuer: required("JWT_ISSUER")?,
        jwt_audience: list(required("JWT_AUDIENCE")?),
        jwt_access_token_expire_minutes: access_minutes,
        jwt_refresh_token_expire_days: number("JWT_REFRESH_TOKEN_EXPIRE_DAYS", 7, 1..=90)?,
        jwt_leeway_seconds: number("JWT_LEEWAY_SECONDS", 30, 0..=300)?,
        jwt_key_id: std::env::var("JWT_KEY_ID").ok(),
        service_id: required("SERVICE_ID")?,
        service_secret: service_secret.map(Secret::new),
        service_token_lifetime_seconds: number("SERVICE_TOKEN_LIFETIME_SECONDS", 60, 1..=3600)?,
        service_allowed_callers: std::env::var("SERVICE_ALLOWED_CALLERS").ok().map(list),
    })
}

/// The environment of the headline case: 13 variables, 10 of the schema (one under its
/// legacy alias), `ENVIRONMENT` and two of the system's.
const JWT_LIKE_VARIABLES: [(&str, &str); 13] = [
    ("ENVIRONMENT", "production"),
    ("JWT_ALGORITHM", "HS256"),
    (
        "JWT_SECRET_KEY",
        "bench-jwt-secret-key-0123456789abcdef0123456789",
    ),
    ("JWT_ISSUER", "https://auth.example.com"),
    ("JWT_AUDIENCE", "backend,billing"),
    ("JWT_ACCESS_EXPIRY_MINUTES", "15"),
    ("JWT_LEEWAY_SECONDS", "30"),
    ("SERVICE_ID", "billing"),
    (
        "SERVICE_SECRET",
        "bench-service-secret-0123456789abcdef012345678",
    ),
    ("SERVICE_TOKEN_LIFETIME_SECONDS", "60"),
    ("SERVICE_ALLOWED_CALLERS", "auth,backend"),
    ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ("HOME", "/home/service"),
];

/// The settings both loaders read (only loaded, never read: the benchmark measures loading).
#[derive(Config, Debug)]
#[allow(dead_code)]
struct Settings {
    #[config(default = 8080, range(1..=65535))]
    port: u16,
    #[config(default = "localhost")]
    host: String,
    #[config(default = 4)]
    workers: u32,
    #[config(default = 100)]
    max_connections: u64,
    #[config(default = false)]
    debug: bool,
    #[config(default = 0.5)]
    sample_ratio: f64,
    service_id: String,
    issuer: String,
    audience: Vec<String>,
    #[config(default = 30)]
    leeway_seconds: u64,
    #[config(alias = "ACCESS_EXPIRY_MINUTES", default = 15)]
    access_minutes: u32,
    region: Option<String>,
}

/// What a service writes by hand today.
fn hand_written() -> Result<Settings, String> {
    fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
        match std::env::var(name) {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("{name} is invalid")),
            Err(_) => Ok(default),
        }
    }
    let required = |name: &str| std::env::var(name).map_err(|_| format!("{name} is missing"));
    let access_minutes =
        match std::env::var("ACCESS_MINUTES").or_else(|_| std::env::var("ACCESS_EXPIRY_MINUTES")) {
            Ok(text) => text
                .parse()
                .map_err(|_| "ACCESS_MINUTES is invalid".to_owned())?,
            Err(_) => 15,
        };
    Ok(Settings {
        port: parsed("PORT", 8080)?,
        host: std::env::var("HOST").unwrap_or_else(|_| "localhost".to_owned()),
        workers: parsed("WORKERS", 4)?,
        max_connections: parsed("MAX_CONNECTIONS", 100)?,
        debug: parsed("DEBUG", false)?,
        sample_ratio: parsed("SAMPLE_RATIO", 0.5)?,
        service_id: required("SERVICE_ID")?,
        issuer: required("ISSUER")?,
        audience: required("AUDIENCE")?
            .split(',')
            .map(|s| s.trim().to_owned())
            .collect(),
        leeway_seconds: parsed("LEEWAY_SECONDS", 30)?,
        access_minutes,
        region: std::env::var("REGION").ok(),
    })
}

/// The JWT settings a service reads by hand today: the same variables, keys built once.
fn hand_written_jwt() -> Result<(EncodingKey, DecodingKey, Validation, u64), String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is missing"));
    let number = |name: &str, default: u64| match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("{name} is invalid")),
        Err(_) => Ok(default),
    };
    let algorithm: Algorithm = var("JWT_ALGORITHM")?.parse().map_err(|_| "bad algorithm")?;
    let secret = var("JWT_SECRET_KEY")?;
    let access_minutes = number("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", 15)?;
    let _refresh_days = number("JWT_REFRESH_TOKEN_EXPIRE_DAYS", 7)?;
    let leeway = number("JWT_LEEWAY_SECONDS", 30)?;
    let _service_id = var("SERVICE_ID")?;
    let _service_secret = var("SERVICE_SECRET")?;
    let _service_lifetime = number("SERVICE_TOKEN_LIFETIME_SECONDS", 60)?;
    let _callers = std::env::var("SERVICE_ALLOWED_CALLERS").ok();
    let mut validation = Validation::new(algorithm);
    validation.leeway = leeway;
    validation.set_issuer(&[var("JWT_ISSUER")?]);
    validation.set_audience(&var("JWT_AUDIENCE")?.split(',').collect::<Vec<_>>());
    let encoding = EncodingKey::from_secret(secret.as_bytes()).map_err(|e| e.to_string())?;
    let decoding = DecodingKey::from_secret(secret.as_bytes()).map_err(|e| e.to_string())?;
    Ok((encoding, decoding, validation, access_minutes))
}

const JWT_VARIABLES: [(&str, &str); 8] = [
    ("ENVIRONMENT", "production"),
    ("JWT_ALGORITHM", "HS256"),
    (
        "JWT_SECRET_KEY",
        "bench-jwt-secret-key-0123456789abcdef0123456789",
    ),
    ("JWT_ISSUER", "https://auth.example.com"),
    ("JWT_AUDIENCE", "backend,billing"),
    (
        "SERVICE_SECRET",
        "bench-service-secret-0123456789abcdef012345678",
    ),
    ("SERVICE_ALLOWED_CALLERS", "auth,backend"),
    ("JWT_ACCESS_TOKEN_EXPIRE_MINUTES", "15"),
];

const VARIABLES: [(&str, &str); 9] = [
    ("PORT", "9000"),
    ("HOST", "0.0.0.0"),
    ("WORKERS", "8"),
    ("DEBUG", "true"),
    ("SERVICE_ID", "billing"),
    ("ISSUER", "https://auth.example.com"),
    ("AUDIENCE", "billing,backend"),
    ("ACCESS_MINUTES", "15"),
    ("REGION", "eu-west-1"),
];

/// The extra variables of a larger environment: `count` names of no family of the schema.
fn unrelated(count: usize) -> impl Iterator<Item = (String, String)> {
    (0..count).map(|i| (format!("UNRELATED_VARIABLE_{i}"), "x".repeat(20)))
}

/// Runs this binary again with exactly `variables` as its environment and `args`.
fn run_child(variables: impl IntoIterator<Item = (String, String)>, args: &[&str]) {
    let status = Command::new(std::env::current_exe().unwrap())
        .env_clear()
        .envs(variables)
        .args(args)
        .status()
        .expect("the benchmark re-runs itself with the variables set");
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
}

fn jwt_like_environment(extra: usize) -> Vec<(String, String)> {
    let own = JWT_LIKE_VARIABLES
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()));
    own.chain(unrelated(extra)).collect()
}

fn settings_environment() -> Vec<(String, String)> {
    let own = VARIABLES.iter().chain(&JWT_VARIABLES);
    own.map(|(n, v)| (n.to_string(), v.to_string()))
        .chain([("PATH".into(), "/usr/bin:/bin".into())])
        .collect()
}

/// One case `count` times and nothing else, for instruction counts that do not depend on the
/// machine's load: `valgrind --tool=callgrind --collect-atstart=no
/// --toggle-collect='*repeat_case*'` counts only this function (see `scripts/bench-report.sh`).
#[inline(never)]
fn repeat_case(case: &str, count: u32, map: &MapSource) -> bool {
    for _ in 0..count {
        match case {
            "hand-written-jwt-like" => drop(black_box(hand_written_jwt_like().unwrap())),
            "jwt-like" => drop(black_box(JwtLike::from_env().unwrap())),
            "hand-written" => drop(black_box(hand_written().unwrap())),
            "from_env" => drop(black_box(Settings::from_env().unwrap())),
            "from_source" => drop(black_box(Settings::from_source(black_box(map)).unwrap())),
            _ => return false,
        }
    }
    true
}

const ITERATIONS: u32 = 5_000;
const SAMPLES: usize = 31;

/// A hand-written loader, then `T::from_env` and `T::from_source(map)`, measured in turn,
/// reported as the median time of each and the median of its per-sample ratio to the first.
fn report_loaders<T: Config, H>(
    iterations: u32,
    hand_written: impl Fn() -> H,
    map: &MapSource,
    names: [&str; 3],
) {
    let samples = measure_samples(
        iterations,
        SAMPLES,
        &mut [
            &mut || drop(black_box(hand_written())),
            &mut || drop(black_box(T::from_env().unwrap())),
            &mut || drop(black_box(T::from_source(black_box(map)).unwrap())),
        ],
    );
    for (name, case) in names.iter().zip(&samples) {
        report_ratio(name, median(case), median_ratio(case, &samples[0]));
    }
}

/// The headline table: the JWT-like schema in this process's environment.
fn jwt_like_table() {
    let size = std::env::vars_os().count();
    let map: MapSource = std::env::vars().collect();
    let first = JwtLike::from_env().unwrap();
    let by_hand = hand_written_jwt_like().unwrap();
    assert_eq!(
        first.jwt_access_token_expire_minutes,
        by_hand.jwt_access_token_expire_minutes
    );
    assert_eq!(
        first.service_allowed_callers,
        by_hand.service_allowed_callers
    );
    println!(
        "JWT-like schema (12 variables, name scan on), {size} variables in the environment, \
         {SAMPLES} samples of {ITERATIONS} loads, median (ratio: median of per-sample ratios)"
    );
    report_loaders::<JwtLike, _>(
        ITERATIONS,
        || hand_written_jwt_like().unwrap(),
        &map,
        [
            "hand-written (std::env::var + str::parse)",
            &format!("derived, from_env ({size} variables)"),
            "derived, from_source (MapSource)",
        ],
    );
}

fn settings_tables() {
    let map: MapSource = VARIABLES.into_iter().collect();
    let jwt_map: MapSource = JWT_VARIABLES
        .into_iter()
        .chain([("SERVICE_ID", "billing")])
        .collect();
    assert_eq!(
        hand_written().unwrap().port,
        Settings::from_env().unwrap().port
    );
    let times = measure(
        ITERATIONS,
        SAMPLES,
        &mut [
            &mut || {
                black_box(hand_written().unwrap());
            },
            &mut || {
                black_box(Settings::from_env().unwrap());
            },
            &mut || {
                black_box(Settings::from_source(black_box(&map)).unwrap());
            },
            &mut || {
                black_box(Settings::load_with_report(black_box(&map)).unwrap());
            },
        ],
    );
    let [baseline, from_env, from_map, with_report] = times[..] else {
        unreachable!()
    };
    println!("12-field struct, {SAMPLES} samples of {ITERATIONS} loads, median");
    report("hand-written (std::env + str::parse)", baseline, baseline);
    report(
        "derived, from_env (process environment)",
        from_env,
        baseline,
    );
    report("derived, from_source (MapSource)", from_map, baseline);
    report(
        "derived, load_with_report (MapSource)",
        with_report,
        baseline,
    );

    println!("JwtConfig (HS256, production rules), median");
    report_loaders::<JwtConfig, _>(
        ITERATIONS / 5,
        || hand_written_jwt().unwrap(),
        &jwt_map,
        [
            "hand-written (std::env + keys, no checks)",
            "JwtConfig::from_env (+ checks, self-test)",
            "JwtConfig::from_source (MapSource)",
        ],
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["--child", "jwt-like"] => jwt_like_table(),
        ["--child", "settings"] => settings_tables(),
        ["--child", "repeat", case, count] => {
            let map: MapSource = VARIABLES.into_iter().collect();
            if !repeat_case(case, count.parse().expect("a count"), &map) {
                eprintln!("unknown case {case}");
                std::process::exit(2);
            }
        }
        // `--repeat CASE N`, in the case's environment (`LOAD_BENCH_EXTRA=N` more variables).
        ["--repeat", case, count] => {
            let extra = std::env::var("LOAD_BENCH_EXTRA")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let mut environment = if case.contains("jwt-like") {
                jwt_like_environment(0)
            } else {
                settings_environment()
            };
            environment.extend(unrelated(extra));
            run_child(environment, &["--child", "repeat", case, count]);
        }
        _ => {
            for extra in [0, 100] {
                run_child(jwt_like_environment(extra), &["--child", "jwt-like"]);
            }
            run_child(settings_environment(), &["--child", "settings"]);
        }
    }
}
