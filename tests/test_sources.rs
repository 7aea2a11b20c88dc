//! Env files, layers and isolation.

mod common;

use jwt_config::{Config, EnvFile, Layered, MapSource, ProblemKind, Substitution};

#[derive(Config, Debug)]
struct Small {
    #[config(default = 1)]
    port: u16,
    host: Option<String>,
}

fn file(contents: &str) -> common::TempFile {
    common::TempFile::new("test.env", contents)
}

#[test]
fn an_env_file_is_a_source() {
    let path = file("# comment\nPORT=8080\nHOST='db.internal'\n");
    let env = EnvFile::isolated(&path).unwrap();
    let small = Small::from_source(&env).unwrap();
    assert_eq!(
        (small.port, small.host.as_deref()),
        (8080, Some("db.internal"))
    );
}

#[test]
fn a_bad_line_names_the_file_and_line_without_quoting_it() {
    let path = file("PORT=8080\nSECRET_KEY 'hunter2-secret\n");
    let error = EnvFile::isolated(&path).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.kind(), ProblemKind::Source);
    assert_eq!(problem.variable(), path.path().display().to_string());
    assert!(problem.message().contains("line 2"), "{problem}");
    assert!(!format!("{error} {error:?}").contains("hunter2"));
}

#[test]
fn an_isolated_env_file_refuses_substitution_from_the_process() {
    let path = file("PORT=8080\nHOST=${HOME}\n");
    let error = EnvFile::isolated(&path).unwrap_err();
    assert!(
        error.problems()[0]
            .message()
            .contains("line 2: `$` substitution is not allowed")
    );
    let escaped = file("HOST='${HOME}'\n");
    let env = EnvFile::isolated(&escaped).unwrap();
    assert_eq!(
        Small::from_source(&env).unwrap().host.as_deref(),
        Some("${HOME}")
    );
}

#[test]
fn a_missing_env_file_is_a_problem() {
    let error = EnvFile::load("/nonexistent/x.env", Substitution::ProcessEnvironment).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("/nonexistent/x.env: cannot be read (no such file)"),
        "{error}"
    );
}

#[test]
fn each_layer_overrides_the_ones_before_it() {
    let over = MapSource::new().with("PORT", "9000");
    let env = EnvFile::isolated(file("PORT=8080\nHOST=h\n")).unwrap();
    let small = Small::from_source(&Layered::new().over(env).over(over)).unwrap();
    assert_eq!((small.port, small.host.as_deref()), (9000, Some("h")));
}

#[test]
fn a_named_map_says_which_layer_supplied_a_value() {
    let shared = MapSource::new()
        .named("ConfigMap prod/jwt-shared")
        .with("PORT", "80");
    let own = MapSource::new().with("HOST", "h");
    let layers = Layered::new().over(shared).over(own);
    let loaded = Small::load_with_report(&layers).unwrap();
    let port = loaded
        .variables
        .iter()
        .find(|v| v.variable() == "PORT")
        .unwrap();
    assert_eq!(
        port.location().map(ToString::to_string).as_deref(),
        Some("ConfigMap prod/jwt-shared")
    );
    let host = loaded
        .variables
        .iter()
        .find(|v| v.variable() == "HOST")
        .unwrap();
    assert_eq!(host.location(), None);
}
