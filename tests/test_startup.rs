//! `ServiceLoader` and `load_service`: env files from the command line and
//! `JWT_CONFIG_ENV_FILE`, values set in code over them, and on problems every problem with
//! its hint on standard error and exit code 1 (in a child process).

mod common;

use common::*;
use jwt_config::{ENV_FILE_VARIABLE, JwtConfig, ServiceLoader};

fn env_file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn later_files_then_values_set_in_code_take_precedence() {
    let dir = temp_dir();
    let shared = env_file(
        dir.path(),
        "shared.env",
        &format!(
            "ENVIRONMENT=development\nJWT_SECRET_KEY={JWT_SECRET}\nSERVICE_ID=shared\nJWT_LEEWAY_SECONDS=10\n"
        ),
    );
    let own = env_file(
        dir.path(),
        "own.env",
        "JWT_LEEWAY_SECONDS=20\nSERVICE_ID=from-file\n",
    );
    let loaded = ServiceLoader::from_args([&shared], Some(own.clone().into_os_string()))
        .set("SERVICE_ID", "backend")
        .without_process_env()
        .try_load::<JwtConfig>()
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(loaded.value.leeway().as_secs(), 20);
    assert_eq!(loaded.value.service_id(), "backend");
    // Several files in the variable, separated by commas, blanks ignored.
    let variable = format!("{}, ,{}", shared.display(), own.display());
    let loaded = ServiceLoader::from_args(Vec::<std::path::PathBuf>::new(), Some(variable.into()))
        .without_process_env()
        .try_load::<JwtConfig>()
        .unwrap();
    assert_eq!(loaded.value.service_id(), "from-file");
}

#[test]
fn a_missing_env_file_is_a_problem_naming_it() {
    let error = ServiceLoader::new()
        .env_file("/nonexistent/jwt-config/service.env")
        .without_process_env()
        .try_load::<JwtConfig>()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("/nonexistent/jwt-config/service.env"),
        "{error}"
    );
}

/// Runs in a child process only: loads the file named by `STARTUP_TEST_FILE` and exits;
/// with `STARTUP_TEST_WARNINGS`, over the process environment, printing each warning's
/// variable.
#[test]
fn child_loads_and_exits() {
    let Some(file) = std::env::var_os("STARTUP_TEST_FILE") else {
        return;
    };
    if std::env::var_os("STARTUP_TEST_WARNINGS").is_some() {
        let loaded = ServiceLoader::new()
            .env_file(file)
            .try_load::<JwtConfig>()
            .unwrap_or_else(|error| panic!("{error}"));
        for warning in &loaded.warnings {
            println!("warning {}", warning.variable());
        }
        std::process::exit(0);
    }
    let loaded = ServiceLoader::new()
        .env_file(file)
        .without_process_env()
        .load::<JwtConfig>();
    println!("loaded {}", loaded.value.service_id());
    std::process::exit(0);
}

/// `child_loads_and_exits` in a child process of this test binary, with `env` (and nothing
/// else of the environment where `clear`).
fn child(clear: bool, env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([
        "child_loads_and_exits",
        "--exact",
        "--nocapture",
        "--test-threads",
        "1",
    ]);
    if clear {
        command.env_clear();
    }
    command.envs(env.iter().copied()).output().unwrap()
}

#[test]
fn on_problems_every_problem_is_printed_with_its_hint_and_the_exit_code_is_1() {
    let dir = temp_dir();
    let broken = env_file(
        dir.path(),
        "backend.env",
        &format!(
            "ENVIRONMENT=production\nSERVICE_ID=backend\nJWT_SECRET_KEY={JWT_SECRET}\nJWT_ISSUR=https://auth.example\nJWT_AUDIENCE=shop\n"
        ),
    );
    let output = child(false, &[("STARTUP_TEST_FILE", broken.as_os_str())]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("JWT_ISSUER: is missing"), "{stderr}");
    assert!(stderr.contains("hint: JWT_ISSUR"), "{stderr}");
    assert!(stderr.contains("SERVICE_SECRET"), "{stderr}");
    assert!(!stderr.contains(JWT_SECRET), "{stderr}");
    assert_eq!(ENV_FILE_VARIABLE, "JWT_CONFIG_ENV_FILE");
}

#[test]
fn the_loaders_own_variable_and_the_services_flags_are_not_taken_for_settings() {
    let dir = temp_dir();
    let file = env_file(
        dir.path(),
        "dev.env",
        &format!(
            "ENVIRONMENT=development\nSERVICE_ID=backend\nJWT_SECRET_KEY={JWT_SECRET}\nJWT_ISSUR=typo\n"
        ),
    );
    let output = child(
        true,
        &[
            ("STARTUP_TEST_FILE", file.as_os_str()),
            ("STARTUP_TEST_WARNINGS", "1".as_ref()),
            (ENV_FILE_VARIABLE, file.as_os_str()),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("warning JWT_ISSUR"), "{stdout}");
    assert!(!stdout.contains("warning JWT_CONFIG_ENV_FILE"), "{stdout}");
    // A flag is the service's own, not an env file.
    let loaded = ServiceLoader::from_args(["--verbose".into(), file], None)
        .without_process_env()
        .try_load::<JwtConfig>()
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(loaded.value.service_id(), "backend");
}
