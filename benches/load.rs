//! Loading a 12-field struct: derived (from a `MapSource` and from the process environment)
//! beside a hand-written loader using only `std::env` and `str::parse`.
//!
//! Run: `cargo bench --bench load`. The process-environment cases run in a child process
//! started with the variables set, so nothing here calls `set_var`.

use std::hint::black_box;
use std::process::Command;

mod support;

use jwt_config::jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use jwt_config::{Config, JwtConfig, MapSource};
use support::{measure, report};

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

const JWT_VARIABLES: [(&str, &str); 7] = [
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

/// `--repeat CASE N` runs one case N times and nothing else, for instruction counts that do
/// not depend on the machine's load: `valgrind --tool=callgrind --trace-children=yes`.
fn repeat_one_case(map: &MapSource) -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let position = args.iter().position(|a| a == "--repeat")?;
    let (case, count) = (
        args.get(position + 1)?,
        args.get(position + 2)?.parse::<u32>().ok()?,
    );
    for _ in 0..count {
        match case.as_str() {
            "hand-written" => drop(black_box(hand_written().unwrap())),
            "from_env" => drop(black_box(Settings::from_env().unwrap())),
            "from_source" => drop(black_box(Settings::from_source(black_box(map)).unwrap())),
            _ => return Some(2),
        }
    }
    Some(0)
}

fn main() {
    const ITERATIONS: u32 = 5_000;
    const SAMPLES: usize = 31;
    if std::env::var_os("LOAD_BENCH_CHILD").is_none() {
        // `LOAD_BENCH_EXTRA=N`: N unrelated variables more in the child's environment, to see
        // how the loaders grow with the size of the environment.
        let extra: usize = std::env::var("LOAD_BENCH_EXTRA")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let unrelated = (0..extra).map(|i| (format!("UNRELATED_VARIABLE_{i}"), "x".repeat(20)));
        let status = Command::new(std::env::current_exe().unwrap())
            .envs(VARIABLES)
            .envs(JWT_VARIABLES)
            .envs(unrelated)
            .env("LOAD_BENCH_CHILD", "1")
            .args(std::env::args_os().skip(1))
            .status()
            .expect("the benchmark re-runs itself with the variables set");
        std::process::exit(status.code().unwrap_or(1));
    }
    let map: MapSource = VARIABLES.into_iter().collect();
    let jwt_map: MapSource = JWT_VARIABLES
        .into_iter()
        .chain([("SERVICE_ID", "billing")])
        .collect();
    assert_eq!(
        hand_written().unwrap().port,
        Settings::from_env().unwrap().port
    );
    if let Some(code) = repeat_one_case(&map) {
        std::process::exit(code);
    }
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

    let times = measure(
        ITERATIONS / 5,
        SAMPLES,
        &mut [
            &mut || {
                black_box(hand_written_jwt().unwrap());
            },
            &mut || {
                black_box(JwtConfig::from_env().unwrap());
            },
            &mut || {
                black_box(JwtConfig::from_source(black_box(&jwt_map)).unwrap());
            },
        ],
    );
    let [baseline, from_env, from_map] = times[..] else {
        unreachable!()
    };
    println!("JwtConfig (HS256, production rules), median");
    report(
        "hand-written (std::env + keys, no checks)",
        baseline,
        baseline,
    );
    report(
        "JwtConfig::from_env (+ checks, self-test)",
        from_env,
        baseline,
    );
    report("JwtConfig::from_source (MapSource)", from_map, baseline);
}
