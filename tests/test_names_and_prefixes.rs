//! Which variables a derived struct reads: names, prefixes (of the struct and of flattened
//! structs), aliases and `_FILE` variants under a prefix.

mod common;

use common::source;
use jwt_config::{Config, Environment, Secret};

/// Settings of a database, embedded with a prefix.
#[derive(Config, Debug)]
struct Database {
    /// Host name.
    #[config(default = "localhost")]
    host: String,
    #[config(alias = "PASS")]
    password: Secret<String>,
}

#[derive(Config, Debug)]
#[config(prefix = "APP_")]
struct App {
    #[config(flatten, prefix = "DB_")]
    db: Database,
    #[config(env = "WORKERS", default = 4)]
    workers: u8,
    environment: Environment,
}

#[test]
fn prefixes_apply_to_names_aliases_and_file_variants_but_not_environment() {
    let dir = common::temp_dir();
    let file = dir.path().join("pass");
    std::fs::write(&file, "from-a-file\n").unwrap();
    let source = source(&[
        ("APP_DB_HOST", "db.internal"),
        ("APP_DB_PASS_FILE", file.to_str().unwrap()),
        ("APP_WORKERS", "8"),
        ("ENVIRONMENT", "staging"),
    ]);
    let config = App::from_source(&source).unwrap();
    assert_eq!(config.db.host, "db.internal");
    assert_eq!(config.db.password.expose(), "from-a-file");
    assert_eq!(config.workers, 8);
    assert_eq!(config.environment, Environment::Staging);
}

#[test]
fn the_schema_lists_flattened_variables_with_their_prefixes() {
    let names: Vec<String> = App::SCHEMA
        .variables()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(
        names,
        [
            "APP_DB_HOST",
            "APP_DB_PASSWORD",
            "APP_WORKERS",
            "ENVIRONMENT"
        ]
    );
    let password = &App::SCHEMA.variables()[1];
    assert_eq!(password.aliases, ["APP_DB_PASS"]);
    assert_eq!(
        password.file_variable.as_deref(),
        Some("APP_DB_PASSWORD_FILE")
    );
    assert!(password.schema.secret());
    assert_eq!(
        Database::SCHEMA.variables()[0].schema.default(),
        Some("localhost")
    );
    assert_eq!(Database::SCHEMA.variables()[0].schema.doc(), "Host name.");
}

/// A prefixed struct whose check names a variable: the prefix applies to it too.
#[derive(Config, Debug)]
#[config(prefix = "BILLING_", validate = Self::check)]
struct Prefixed {
    #[config(default = 1)]
    workers: u8,
}

impl Prefixed {
    fn check(partial: &PrefixedPartial<'_>, context: &mut jwt_config::Context<'_>) {
        if partial.workers.is_some_and(|w| *w > 4) {
            context.problem(
                "WORKERS",
                jwt_config::ProblemKind::Rule,
                "at most 4 on this plan",
            );
        }
    }
}

#[test]
fn a_struct_prefix_applies_to_the_variables_its_checks_name() {
    let ok = Prefixed::from_source(&source(&[("BILLING_WORKERS", "2")])).unwrap();
    assert_eq!(ok.workers, 2);
    let error = Prefixed::from_source(&source(&[("BILLING_WORKERS", "8")])).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "BILLING_WORKERS");
    let names: Vec<String> = Prefixed::SCHEMA
        .variables()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, ["BILLING_WORKERS"]);
}
