//! How a derived struct reads its values: every built-in type, `FromStr` types, custom
//! parsers, checks on the parsed value, and defaults (a turbofish included).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::source;
use jwt_config::{Config, Environment, MapSource, Secret};

/// A struct using every built-in type.
#[derive(Config, Debug)]
struct Everything {
    /// A port.
    #[config(default = 8080, range(1..=65535))]
    port: u16,
    ratio: f64,
    enabled: bool,
    name: String,
    path: PathBuf,
    timeout: Duration,
    hosts: Vec<String>,
    nickname: Option<String>,
    environment: Environment,
    token: Secret<String>,
    level: std::net::IpAddr,
}

fn everything() -> MapSource {
    source(&[
        ("RATIO", "0.25"),
        ("ENABLED", "Yes"),
        ("NAME", " spaced "),
        ("PATH", "/etc/app"),
        ("TIMEOUT", "1h 30m"),
        ("HOSTS", "a, b ,c"),
        ("ENVIRONMENT", "TEST"),
        ("TOKEN", "s3cr3t-token-value"),
        ("LEVEL", "127.0.0.1"),
    ])
}

#[test]
fn field_names_in_upper_case_are_the_default_variable_names() {
    let config = Everything::from_source(&everything()).unwrap();
    assert_eq!(config.port, 8080);
    assert_eq!(config.ratio, 0.25);
    assert!(config.enabled);
    assert_eq!(config.name, " spaced ", "strings keep their whitespace");
    assert_eq!(config.path, PathBuf::from("/etc/app"));
    assert_eq!(config.timeout, Duration::from_secs(5400));
    assert_eq!(config.hosts, ["a", "b", "c"]);
    assert_eq!(config.nickname, None);
    assert_eq!(config.environment, Environment::Test);
    assert_eq!(config.token.expose(), "s3cr3t-token-value");
    assert_eq!(config.level.to_string(), "127.0.0.1");
}

#[test]
fn from_str_types_put_their_error_text_in_the_problem() {
    let mut bad = everything();
    bad.insert("LEVEL", "not-an-ip");
    let error = Everything::from_source(&bad).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.variable(), "LEVEL");
    assert!(
        problem.message().contains("invalid IP address syntax"),
        "{problem}"
    );
}

fn parse_percent(text: &str) -> Result<u8, String> {
    let number = text
        .strip_suffix('%')
        .ok_or("expected a percentage such as 40%")?;
    number
        .parse()
        .map_err(|_| "expected a whole percentage".to_owned())
}

#[derive(Config, Debug)]
struct Custom {
    #[config(parse_with = parse_percent, range(..=100))]
    share: u8,
    #[config(min_len = 2)]
    tags: Vec<String>,
    #[config(range(1..), default = vec![3])]
    retries: Vec<u32>,
}

#[test]
fn a_custom_parser_and_checks_run_on_the_parsed_value() {
    let config = Custom::from_source(&source(&[
        ("SHARE", "40%"),
        ("TAGS", "a,b"),
        ("RETRIES", "1,2"),
    ]));
    let config = config.unwrap();
    assert_eq!(
        (config.share, config.tags.len(), config.retries),
        (40, 2, vec![1, 2])
    );
    let error = Custom::from_source(&source(&[
        ("SHARE", "140%"),
        ("TAGS", "a"),
        ("RETRIES", "0"),
    ]))
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("SHARE: 140 is out of range; accepted: ..=100"),
        "{text}"
    );
    assert!(
        text.contains("TAGS: is 1 long; at least 2 is required"),
        "{text}"
    );
    assert!(
        text.contains("RETRIES: 0 is out of range; accepted: 1 or more"),
        "{text}"
    );
    let error = Custom::from_source(&source(&[("SHARE", "40"), ("TAGS", "a,b")])).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("SHARE: \"40\" is invalid: expected a number at most 100"),
        "{error}"
    );
}

/// A generic value type, for a default written with a turbofish.
#[derive(Debug, PartialEq)]
struct Pair<A, B>(A, B);

impl Pair<u8, u16> {
    fn new() -> Self {
        Pair(1, 2)
    }
}

impl std::str::FromStr for Pair<u8, u16> {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (a, b) = text.split_once(':').ok_or("expected A:B")?;
        Ok(Pair(
            a.parse().map_err(|_| "bad A")?,
            b.parse().map_err(|_| "bad B")?,
        ))
    }
}

impl std::fmt::Display for Pair<u8, u16> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.0, self.1)
    }
}

#[test]
fn a_default_with_a_turbofish_is_one_value() {
    #[derive(Config, Debug)]
    struct Generic {
        #[config(default = Pair::<u8, u16>::new(), env = "PAIR")]
        pair: Pair<u8, u16>,
    }
    let config = Generic::from_source(&MapSource::new()).unwrap();
    assert_eq!(config.pair, Pair(1, 2));
    let config = Generic::from_source(&MapSource::new().with("PAIR", "3:4")).unwrap();
    assert_eq!(config.pair, Pair(3, 4));
}

#[test]
fn the_schema_states_each_fields_type_as_written() {
    assert_eq!(Everything::SCHEMA.variables()[0].schema.ty(), "u16");
}
