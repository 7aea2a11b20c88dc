//! Legacy aliases: accepted with a warning, refused when they disagree with the canonical name.

#![allow(dead_code)] // fields exist to be loaded; the tests read the report
mod common;

use common::source;
use jwt_config::{Config, MapSource, Origin, ProblemKind, Secret, WarningKind};

#[derive(Config, Debug)]
struct Lifetimes {
    #[config(
        env = "ACCESS_MINUTES",
        alias = "ACCESS_EXPIRY",
        alias = "ACCESS_TTL",
        default = 15
    )]
    access_minutes: u32,
    #[config(alias = "OLD_KEY")]
    key: Option<Secret<String>>,
}

#[test]
fn canonical_name_only_is_used_without_warning() {
    let loaded = Lifetimes::load_with_report(&source(&[("ACCESS_MINUTES", "20")])).unwrap();
    assert_eq!(loaded.value.access_minutes, 20);
    assert!(loaded.warnings.is_empty());
    assert_eq!(*loaded.variables[0].origin(), Origin::Canonical);
}

#[test]
fn alias_only_is_used_with_a_deprecation_warning_naming_the_canonical_name() {
    let loaded = Lifetimes::load_with_report(&source(&[("ACCESS_EXPIRY", "20")])).unwrap();
    assert_eq!(loaded.value.access_minutes, 20);
    let warning = &loaded.warnings[0];
    assert_eq!(warning.kind(), WarningKind::DeprecatedAlias);
    assert_eq!(warning.variable(), "ACCESS_MINUTES");
    assert!(warning.message().contains("ACCESS_EXPIRY"), "{warning}");
    assert_eq!(
        *loaded.variables[0].origin(),
        Origin::Alias("ACCESS_EXPIRY".into())
    );
}

#[test]
fn alias_and_canonical_with_the_same_value_load_with_a_warning() {
    let loaded =
        Lifetimes::load_with_report(&source(&[("ACCESS_MINUTES", "20"), ("ACCESS_TTL", "20")]));
    let loaded = loaded.unwrap();
    assert_eq!(loaded.value.access_minutes, 20);
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].message().contains("ACCESS_TTL"));
}

#[test]
fn alias_and_canonical_with_different_values_is_an_error_naming_both() {
    let error = Lifetimes::from_source(&source(&[
        ("ACCESS_MINUTES", "30"),
        ("ACCESS_EXPIRY", "15"),
    ]));
    let error = error.unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.kind(), ProblemKind::Conflict);
    assert_eq!(problem.variable(), "ACCESS_MINUTES");
    assert!(
        problem.message().contains("ACCESS_MINUTES=\"30\""),
        "{problem}"
    );
    assert!(
        problem.message().contains("ACCESS_EXPIRY=\"15\""),
        "{problem}"
    );
}

#[test]
fn differing_secret_aliases_are_named_without_their_values() {
    let pairs = [
        ("KEY", "first-secret-value"),
        ("OLD_KEY", "second-secret-value"),
    ];
    let error = Lifetimes::from_source(&source(&pairs)).unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("KEY and OLD_KEY are set to different values"),
        "{text}"
    );
    assert!(!text.contains("first-secret-value") && !text.contains("second-secret-value"));
}

#[test]
fn an_unset_field_with_a_default_reports_the_default_as_its_origin() {
    let loaded = Lifetimes::load_with_report(&MapSource::new()).unwrap();
    assert_eq!(*loaded.variables[0].origin(), Origin::Default);
    assert_eq!(loaded.variables[0].rendered(), Some("15"));
    assert_eq!(*loaded.variables[1].origin(), Origin::Unset);
}
