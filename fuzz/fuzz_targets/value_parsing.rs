//! Every value parser on arbitrary text: no panic, and a secret's text never in a message.
#![no_main]

use jwt_config::{Config, MapSource, Secret};
use libfuzzer_sys::fuzz_target;

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Everything {
    #[config(default = 1, range(1..=65535))]
    port: u16,
    #[config(default = 0.5, range(0.0..=1.0))]
    ratio: f64,
    #[config(default = false)]
    flag: bool,
    #[config(default = std::time::Duration::from_secs(900), parse_with = parse_duration)]
    timeout: std::time::Duration,
    items: Option<Vec<i32>>,
    #[config(secret, range(1..=10))]
    secret_number: Option<u32>,
    #[config(secret, parse_with = parse_quoting)]
    quoted: Option<String>,
    #[config(secret, min_len = 8)]
    password: Option<String>,
    key: Option<Secret<jwt_config::HmacKey>>,
    pem: Option<jwt_config::Pem>,
    algorithm: Option<jwt_config::SigningAlgorithm>,
    environment_name: Option<jwt_config::Environment>,
}

/// A parser whose message quotes its input, trimmed and with `{:?}`: it must never show.
fn parse_quoting(text: &str) -> Result<String, String> {
    let half: String = text.chars().take(text.chars().count() / 2).collect();
    Err(format!("bad value {:?} / {half}", text.trim()))
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    <std::time::Duration as jwt_config::ConfigValue>::parse_value(text)
}

fn rendered(name: &str, text: &str) -> String {
    match Everything::load_with_report(&MapSource::new().with(name, text)) {
        Ok(loaded) => format!("{:?} {:?}", loaded.variables, loaded.warnings),
        Err(error) => format!("{error} {error:?}"),
    }
}

fuzz_target!(|text: &str| {
    for name in [
        "PORT",
        "RATIO",
        "FLAG",
        "TIMEOUT",
        "ITEMS",
        "SECRET_NUMBER",
        "PASSWORD",
        "KEY",
        "PEM",
        "ALGORITHM",
        "ENVIRONMENT_NAME",
        "ENVIRONMENT",
        "QUOTED",
    ] {
        let shown = rendered(name, text);
        let secret = matches!(name, "SECRET_NUMBER" | "PASSWORD" | "KEY" | "QUOTED");
        let trimmed = text.trim();
        // Text the report shows whatever the value (names, docs) is no leak.
        let baseline = rendered(name, "\u{1}") + &rendered("UNREAD", "");
        if secret && trimmed.len() >= 6 && !baseline.contains(trimmed) {
            assert!(!shown.contains(trimmed), "{name} leaked");
        }
    }
});
