//! An isolated env file (`EnvFile::isolated`, `check --no-process-env`) never makes the
//! checking machine read its files on the file's say-so: a `NAME_FILE` is read only inside
//! the env file's own directory or one allowed explicitly; and a file's contents that do not
//! load are never echoed.

mod common;

use jwt_config::{Config, EnvFile, ProblemKind};

#[derive(Config, Debug)]
#[allow(dead_code)] // the tests read what fails to load, not the fields
struct Service {
    /// The message of the day.
    #[config(file)]
    motd: Option<String>,
    /// Port of the admin endpoint.
    #[config(file, range(1..=1024))]
    admin_port: Option<u16>,
}

const SENTINEL: &str = "sentinel-outside-7c1e";

fn write(path: &std::path::Path, contents: &str) -> String {
    std::fs::write(path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn an_isolated_env_file_never_reads_a_file_outside_its_directory() {
    let env_dir = common::temp_dir();
    let elsewhere = common::temp_dir();
    let outside = write(&elsewhere.path().join("motd"), SENTINEL);
    let env = env_dir.path().join("service.env");
    write(&env, &format!("MOTD_FILE={outside}\n"));
    let error = Service::from_source(&EnvFile::isolated(&env).unwrap()).unwrap_err();
    let problem = &error.problems()[0];
    assert_eq!(problem.variable(), "MOTD_FILE");
    assert_eq!(problem.kind(), ProblemKind::File);
    assert!(
        problem.message().contains("was not read (not checked)")
            && problem.message().contains("--allow-file-dir"),
        "{problem}"
    );
    assert!(!error.to_string().contains(SENTINEL), "{error}");
    // `..` and links are resolved before the comparison: neither escapes.
    let name = elsewhere.path().file_name().unwrap().to_str().unwrap();
    let dotted = format!("{}/../{name}/motd", env_dir.path().display());
    write(&env, &format!("MOTD_FILE={dotted}\n"));
    assert!(Service::from_source(&EnvFile::isolated(&env).unwrap()).is_err());
    #[cfg(unix)]
    {
        let link = env_dir.path().join("link");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        write(&env, &format!("MOTD_FILE={}\n", link.display()));
        assert!(Service::from_source(&EnvFile::isolated(&env).unwrap()).is_err());
    }
    // Allowed explicitly, it is read.
    write(&env, &format!("MOTD_FILE={outside}\n"));
    let file = EnvFile::isolated(&env)
        .unwrap()
        .allow_file_dir(elsewhere.path());
    let loaded = Service::from_source(&file).unwrap();
    assert_eq!(loaded.motd.as_deref(), Some(SENTINEL));
    // Inside its own directory, it is read.
    let inside = write(&env_dir.path().join("motd"), "hello");
    write(&env, &format!("MOTD_FILE={inside}\n"));
    let loaded = Service::from_source(&EnvFile::isolated(&env).unwrap()).unwrap();
    assert_eq!(loaded.motd.as_deref(), Some("hello"));
}

#[test]
fn a_files_contents_that_do_not_load_are_never_echoed() {
    let dir = common::temp_dir();
    for contents in ["31337", "not-a-port-31337"] {
        let port = write(&dir.path().join("port"), contents);
        let env = dir.path().join("service.env");
        write(&env, &format!("ADMIN_PORT_FILE={port}\n"));
        let error = Service::from_source(&EnvFile::isolated(&env).unwrap()).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(text.contains("ADMIN_PORT"), "{text}");
        assert!(text.contains("(not shown)"), "{text}");
        assert!(!text.contains("31337"), "{text}");
    }
}
