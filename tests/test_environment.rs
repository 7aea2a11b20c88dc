//! `ENVIRONMENT` and the rules that depend on it.

mod common;

use common::source;
use jwt_config::{Config, Environment, MapSource, ProblemKind};

#[derive(Config, Debug)]
struct Calls {
    #[config(required_in(staging, production))]
    service_secret: Option<String>,
    #[config(required_in(production), default = "dev-issuer")]
    issuer: String,
}

#[derive(Config, Debug)]
struct Service {
    #[config(flatten)]
    calls: Calls,
    #[config(env = "ENVIRONMENT", default = Environment::Development)]
    environment: Environment,
}

#[test]
fn the_environment_defaults_to_development_where_nothing_is_required() {
    let service = Service::from_source(&MapSource::new()).unwrap();
    assert_eq!(service.environment, Environment::Development);
    assert_eq!(service.calls.service_secret, None);
    assert_eq!(service.calls.issuer, "dev-issuer");
}

#[test]
fn required_in_staging_is_missing_in_staging_and_names_the_variable_and_environment() {
    let error = Service::from_source(&source(&[("ENVIRONMENT", "Stage")])).unwrap_err();
    assert_eq!(error.problems().len(), 1);
    let problem = &error.problems()[0];
    assert_eq!(
        (problem.variable(), problem.kind()),
        ("SERVICE_SECRET", ProblemKind::Missing)
    );
    assert!(
        problem
            .message()
            .contains("required in staging and production (ENVIRONMENT=staging)"),
        "{problem}"
    );
}

#[test]
fn a_default_serves_development_but_never_reaches_production() {
    let error = Service::from_source(&source(&[("ENVIRONMENT", "prod"), ("SERVICE_SECRET", "x")]));
    let error = error.unwrap_err();
    assert_eq!(error.problems()[0].variable(), "ISSUER");
    assert_eq!(error.problems().len(), 1);
}

#[test]
fn an_unknown_environment_is_one_problem_listing_what_is_accepted() {
    let error = Service::from_source(&source(&[("ENVIRONMENT", "qa")])).unwrap_err();
    assert_eq!(
        error.problems().len(),
        1,
        "reported once though read twice: {error}"
    );
    let problem = &error.problems()[0];
    assert_eq!(problem.variable(), "ENVIRONMENT");
    assert!(
        problem
            .message()
            .contains("\"qa\" is invalid: expected one of development, test, staging, production")
    );
}

#[test]
fn every_nested_rule_sees_the_same_environment() {
    let loaded = Service::load_with_report(&source(&[("ENVIRONMENT", "test")])).unwrap();
    assert_eq!(loaded.environment, Environment::Test);
    assert_eq!(loaded.value.environment, Environment::Test);
}

/// No rule of this schema depends on `ENVIRONMENT`: it is not one of its settings.
#[derive(Config, Debug)]
struct Plain {
    #[config(default = 8080)]
    port: u16,
}

/// A struct-level check that asks for the environment.
#[allow(dead_code)] // loaded to be checked
#[derive(Config, Debug)]
#[config(validate = Self::check)]
struct Asking {
    #[config(default = 8080)]
    port: u16,
}

impl Asking {
    fn check(partial: &AskingPartial<'_>, context: &mut jwt_config::Context<'_>) {
        if context.environment() == Environment::Production && partial.port == Some(&8080) {
            context.problem("PORT", ProblemKind::Rule, "is the development port");
        }
    }
}

#[test]
fn a_schema_without_rules_by_environment_starts_whatever_environment_says() {
    // Not read at all on the way to the value (one `getenv` less per start), so a value
    // this schema has no use for does not stop it...
    let plain = Plain::from_source(&source(&[("ENVIRONMENT", "qa")])).unwrap();
    assert_eq!(plain.port, 8080);
    // ...while a report (`jwt-config check`) shows the environment, and so checks it.
    let error = Plain::load_with_report(&source(&[("ENVIRONMENT", "qa")])).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "ENVIRONMENT");
}

#[test]
fn a_check_that_asks_for_the_environment_reads_it_and_reports_an_invalid_one() {
    let error = Asking::from_source(&source(&[("ENVIRONMENT", "qa")])).unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    assert_eq!(error.problems()[0].variable(), "ENVIRONMENT");
    assert!(error.problems()[0].message().contains("\"qa\" is invalid"));
    let error = Asking::from_source(&source(&[("ENVIRONMENT", "production")])).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "PORT");
    assert!(Asking::from_source(&source(&[("ENVIRONMENT", "staging")])).is_ok());
}
