//! Sources fail closed: isolated env files take nothing from the process (decided by
//! dotenvy's own parser, checked against it by a property), reads are bounded to regular
//! files, a byte order mark is accepted, and a value's problem names its real line.

mod common;

use jwt_config::{Config, EnvFile, MapSource, Source as _, Substitution};
use proptest::prelude::*;

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Small {
    #[config(default = 1)]
    port: u16,
    #[config(file)]
    host: Option<String>,
}

#[test]
fn the_reported_escapes_from_isolation_are_refused() {
    for text in [
        "A=$\\${HOME}\n",
        "A=$'${HOME}$'\n",
        "A=x\r#${HOME}\n",
        "A=1\nB=\"$HOME\"\n",
    ] {
        let result = EnvFile::parse("t.env", text.as_bytes(), Substitution::Refused);
        assert!(result.is_err(), "{text:?} was accepted");
    }
}

/// Pieces env files are made of, `$` constructs and quoting among them, and the name of a
/// variable cargo sets in every test process (so its value is the canary).
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "$",
        "${",
        "}",
        "'",
        "\"",
        "\\",
        "#",
        "\n",
        "\r",
        " ",
        "=",
        "A=",
        "B=",
        "CARGO_MANIFEST_DIR",
        "x",
        "\\$",
        "\\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Differential: where the isolated reading accepts a file, dotenvy's own reading with
    /// substitution gives exactly the same values, so nothing came from the process.
    #[test]
    fn an_isolated_file_that_loads_is_what_dotenvy_reads_without_the_process(
        pieces in prop::collection::vec(piece(), 0..24)
    ) {
        let text = format!("A={}", pieces.concat());
        let canary = env!("CARGO_MANIFEST_DIR");
        if let Ok(isolated) = EnvFile::parse("p.env", text.as_bytes(), Substitution::Refused) {
            let dotenvy = EnvFile::parse("p.env", text.as_bytes(), Substitution::ProcessEnvironment)
                .expect("dotenvy reads what the isolated reading reads");
            for name in isolated.names().map(str::to_owned).collect::<Vec<_>>() {
                let value = isolated.get(&name).unwrap();
                prop_assert_eq!(Some(value.clone()), dotenvy.get(&name));
                prop_assert!(!value.to_string_lossy().contains(canary));
            }
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn devices_and_fifos_are_refused_without_reading_or_waiting() {
    let dir = common::temp_dir();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec!["/dev/zero".to_owned()];
    if made.is_ok_and(|status| status.success()) {
        paths.push(fifo.to_str().unwrap().to_owned());
    }
    for path in &paths {
        let error = Small::from_source(&MapSource::new().with("HOST_FILE", path)).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        let error = EnvFile::isolated(path).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }
}

#[test]
fn a_byte_order_mark_is_accepted_and_problems_name_their_real_line() {
    let text = "\u{feff}# settings\nHOST=\"multi\nline\"\n\nPORT=eighty\n";
    let file = EnvFile::parse("bom.env", text.as_bytes(), Substitution::Refused).unwrap();
    assert_eq!(file.get("HOST").unwrap(), "multi\nline");
    let error = Small::from_source(&file).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.location().as_ref().and_then(|l| l.line), Some(5));
    assert!(
        problem.to_string().contains("(bom.env line 5)"),
        "{problem}"
    );
}
