//! `Secret<T>` and `NAME_FILE`: values read from mounted files, never shown.

mod common;

use jwt_config::{Config, MapSource, Origin, ProblemKind, Secret};

#[derive(Config, Debug)]
struct Keys {
    api_key: Secret<String>,
    #[config(secret)]
    password: String,
    #[config(file)]
    certificate: Option<String>,
    plain: Option<String>,
}

const API_KEY: &str = "api-key-7f3a9c-very-secret";
const PASSWORD: &str = "password-b41d-very-secret";

fn write(dir: &std::path::Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_secret_is_read_from_its_file_with_one_trailing_newline_stripped() {
    let dir = common::temp_dir();
    let key = write(dir.path(), "key", format!("{API_KEY}\n").as_bytes());
    let cert = write(dir.path(), "cert", b"line one\nline two\n\n");
    let source = MapSource::new()
        .with("API_KEY_FILE", &key)
        .with("PASSWORD", PASSWORD)
        .with("CERTIFICATE_FILE", &cert);
    let loaded = Keys::load_with_report(&source).unwrap();
    assert_eq!(loaded.value.api_key.expose(), API_KEY);
    assert_eq!(loaded.value.password, PASSWORD);
    assert_eq!(
        loaded.value.certificate.as_deref(),
        Some("line one\nline two\n")
    );
    assert_eq!(
        *loaded.variables[0].origin(),
        Origin::File {
            variable: "API_KEY_FILE".into(),
            path: key
        }
    );
}

#[test]
fn name_and_name_file_both_set_is_a_problem() {
    let dir = common::temp_dir();
    let key = write(dir.path(), "key", API_KEY.as_bytes());
    let source = MapSource::new()
        .with("API_KEY", API_KEY)
        .with("API_KEY_FILE", &key)
        .with("PASSWORD", "p");
    let error = Keys::from_source(&source).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.kind(), ProblemKind::Conflict);
    assert!(
        problem
            .message()
            .contains("API_KEY and API_KEY_FILE are both set"),
        "{problem}"
    );
}

#[test]
fn a_missing_directory_empty_or_oversized_file_names_the_file_variable_and_path() {
    let dir = common::temp_dir();
    let empty = write(dir.path(), "empty", b"\n");
    let big = write(dir.path(), "big", &vec![b'a'; 64 * 1024 + 1]);
    let missing = dir.path().join("missing").to_str().unwrap().to_owned();
    let folder = dir.path().to_str().unwrap().to_owned();
    for (path, reason) in [
        (&missing, "cannot be read (no such file)"),
        (&folder, "is a directory"),
        (&empty, "is empty"),
        (&big, "is larger than 64 KiB"),
    ] {
        let source = MapSource::new()
            .with("API_KEY_FILE", path)
            .with("PASSWORD", "p");
        let error = Keys::from_source(&source).unwrap_err();
        let problem = &error.problems()[0];
        assert_eq!(problem.variable(), "API_KEY_FILE");
        assert_eq!(
            problem.message(),
            format!("points to {path}, which {reason}")
        );
    }
}

#[test]
fn a_file_variant_is_refused_for_a_plain_field() {
    let source = MapSource::new()
        .with("PLAIN_FILE", "/nonexistent")
        .with("API_KEY", "k")
        .with("PASSWORD", "p");
    let keys = Keys::from_source(&source).unwrap();
    assert_eq!(
        keys.plain, None,
        "PLAIN_FILE is not read: `file` was not asked for"
    );
}

#[test]
fn no_secret_appears_in_debug_display_errors_or_the_report() {
    let source = MapSource::new()
        .with("API_KEY", API_KEY)
        .with("PASSWORD", PASSWORD)
        .with("PLAIN", "");
    let error = Keys::from_source(&source).unwrap_err();
    let loaded = Keys::load_with_report(
        &MapSource::new()
            .with("API_KEY", API_KEY)
            .with("PASSWORD", PASSWORD),
    );
    let loaded = loaded.unwrap();
    let rendered = [
        format!("{error}"),
        format!("{error:?}"),
        format!("{:?}", loaded.variables),
        format!("{}", loaded.value.api_key),
    ];
    for text in rendered {
        assert!(
            !text.contains(API_KEY) && !text.contains(PASSWORD),
            "leaked in {text}"
        );
    }
    // The struct's own Debug is the user's: only a `Secret<T>` field redacts itself there.
    assert!(!format!("{:?}", loaded.value).contains(API_KEY));
    let password = loaded
        .variables
        .iter()
        .find(|v| v.variable() == "PASSWORD")
        .unwrap();
    assert_eq!(password.rendered(), Some("[redacted]"));
}
