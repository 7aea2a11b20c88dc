//! Bad values: each one clear problem naming the variable, never a panic.

#![allow(dead_code)] // fields exist to be loaded; the tests read the report
use std::ffi::OsString;

use jwt_config::{Config, MapSource, ProblemKind, Secret};

#[derive(Config, Debug)]
struct Inputs {
    port: Option<u16>,
    enabled: Option<bool>,
    name: Option<String>,
    key: Option<Secret<String>>,
    offset: Option<i8>,
}

fn problem_of(variable: &str, value: impl Into<OsString>) -> jwt_config::Problem {
    let source = MapSource::new().with(variable, value);
    let error = Inputs::from_source(&source).unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    error.problems()[0].clone()
}

#[test]
fn an_empty_value_is_a_problem_even_for_an_option() {
    for variable in ["PORT", "ENABLED", "NAME", "KEY", "OFFSET"] {
        let problem = problem_of(variable, "");
        assert_eq!(
            (problem.variable(), problem.kind()),
            (variable, ProblemKind::Empty)
        );
        assert!(problem.message().contains("set but empty"));
    }
    assert!(
        problem_of("NAME", "   ")
            .message()
            .contains("set but blank")
    );
}

#[test]
fn numbers_and_bools_are_trimmed_strings_are_not() {
    let source = MapSource::new()
        .with("PORT", " 80 ")
        .with("ENABLED", "\toff\n")
        .with("NAME", " x ");
    let inputs = Inputs::from_source(&source).unwrap();
    assert_eq!((inputs.port, inputs.enabled), (Some(80), Some(false)));
    assert_eq!(inputs.name.as_deref(), Some(" x "));
}

#[test]
fn non_utf8_values_are_a_problem() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let problem = problem_of("NAME", OsString::from_vec(vec![0x66, 0xff, 0x6f]));
        assert_eq!(
            (problem.variable(), problem.kind()),
            ("NAME", ProblemKind::NotUnicode)
        );
    }
}

#[test]
fn overflow_negative_and_units_each_say_what_is_wrong() {
    let problem = problem_of("PORT", "65536");
    assert_eq!(problem.variable(), "PORT");
    assert!(problem.message().contains(
        "\"65536\" is invalid: expected a whole number from 0 to 65535; the number is too large"
    ));
    assert!(
        problem_of("PORT", "-1")
            .message()
            .contains("negative numbers are not accepted")
    );
    assert!(
        problem_of("PORT", "80ms")
            .message()
            .contains("without a unit")
    );
    assert!(
        problem_of("OFFSET", "-129")
            .message()
            .contains("from -128 to 127")
    );
    assert!(problem_of("ENABLED", "maybe").message().contains("yes/no"));
}

#[test]
fn an_invalid_secret_is_reported_without_its_value() {
    #[derive(Config, Debug)]
    struct Numeric {
        pin: Secret<u32>,
    }
    let source = MapSource::new().with("PIN", "12ab-super-secret");
    let error = Numeric::from_source(&source).unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(
        text.contains("PIN: the value (a secret, not shown) is invalid"),
        "{text}"
    );
    assert!(!text.contains("12ab-super-secret"));
}

#[test]
fn every_problem_of_a_struct_comes_in_one_report() {
    let source = MapSource::new()
        .with("PORT", "x")
        .with("ENABLED", "x")
        .with("OFFSET", "x");
    let error = Inputs::from_source(&source).unwrap_err();
    let variables: Vec<&str> = error.problems().iter().map(|p| p.variable()).collect();
    assert_eq!(variables, ["PORT", "ENABLED", "OFFSET"]);
    assert_eq!(
        error.to_string().lines().count(),
        4,
        "a heading and one line a problem"
    );
}
