//! The subcommands, one file each (`audit` a directory: loading, analysis, rendering). Each
//! loads through the library's own loader, so a check sees exactly what a service would;
//! output for people and for programs comes from one typed report (`report.rs`). `diff` is the
//! audit of two inputs: one comparison, one set of texts; `--environment` means one thing
//! (`environment.rs`).

mod audit;
mod check;
mod diff;
mod docs;
mod environment;
mod keys;
mod keys_bundle;
mod keys_new;
mod report;
mod schema;
mod status;
mod template;

use std::io;
use std::path::{Path, PathBuf};

use jwt_config::{ConfigError, EnvFile, Problem, Substitution};

pub(crate) use audit::{SchemaEntry, audit, audit_schemas, load_as};
pub(crate) use check::check;
pub(crate) use diff::diff;
pub(crate) use docs::docs;
pub(crate) use keys::keys;
pub(crate) use keys_new::keys_new;
pub(crate) use schema::schema;
pub(crate) use status::status;
pub(crate) use template::template;

/// A failure that is neither a problem of the configuration nor a difference: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub(crate) struct UsageError {
    text: String,
    /// The problems of an input that could not be read (an env file), for JSON output.
    problems: Vec<Problem>,
    closed_output: bool,
}

impl From<io::Error> for UsageError {
    fn from(error: io::Error) -> Self {
        UsageError {
            text: format!("cannot write the output: {error}"),
            problems: Vec::new(),
            closed_output: error.kind() == io::ErrorKind::BrokenPipe,
        }
    }
}

impl UsageError {
    /// An input that cannot be used, in words.
    pub(crate) fn new(text: String) -> Self {
        UsageError {
            text,
            problems: Vec::new(),
            closed_output: false,
        }
    }

    /// The reader of the output went away (`| head`): not an error to report.
    pub(crate) fn is_closed_output(&self) -> bool {
        self.closed_output
    }
}

impl From<ConfigError> for UsageError {
    fn from(error: ConfigError) -> Self {
        let text = error
            .problems()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        UsageError {
            text,
            problems: error.problems().to_vec(),
            closed_output: false,
        }
    }
}

pub(crate) type Outcome = Result<u8, UsageError>;

/// An env file; an isolated one reads `_FILE` variables only inside its own directory and
/// `allowed` ones.
pub(crate) fn env_file(
    path: &Path,
    isolated: bool,
    allowed: &[PathBuf],
) -> Result<EnvFile, UsageError> {
    let substitution = if isolated {
        Substitution::Refused
    } else {
        Substitution::ProcessEnvironment
    };
    let file = EnvFile::load(path, substitution)?;
    Ok(allowed
        .iter()
        .fold(file, |file, dir| file.allow_file_dir(dir.clone())))
}
