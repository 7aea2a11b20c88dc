//! Env-file parsing: no panic, and an isolated file never takes anything from the process.
#![no_main]

use jwt_config::{EnvFile, Source as _, Substitution};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let canary = std::env::var("PATH").unwrap_or_default();
    if let Ok(file) = EnvFile::parse("fuzz.env", bytes, Substitution::Refused) {
        for name in file.names().map(str::to_owned).collect::<Vec<_>>() {
            let value = file.get(&name).unwrap();
            let value = value.to_string_lossy();
            let input = String::from_utf8_lossy(bytes);
            // A value holds the canary only if the file itself wrote it.
            if canary.len() >= 6 && value.contains(&canary) {
                assert!(
                    input.contains(&canary),
                    "substituted from the process: {name}"
                );
            }
            let _ = file.location(&name);
        }
    }
    let _ = EnvFile::parse("fuzz.env", bytes, Substitution::ProcessEnvironment);
});
