//! The `jwt-config` command as a library, generic over any schema, so a service can give its
//! own binary the same subcommands for its own `Config`.
//!
//! Features `rust-crypto` (default) and `aws-lc` choose jwt-config's crypto backend and are
//! passed on to it: exactly one (`default-features = false, features = ["aws-lc"]` for
//! aws-lc), as in jwt-config's crate docs.
//!
//! An example:
//!
//! ```no_run
//! use std::io::Write;
//!
//! #[derive(jwt_config::Config)]
//! struct BillingConfig {
//!     #[config(flatten)]
//!     jwt: jwt_config::JwtConfig,
//!     #[config(env = "BILLING_PORT", default = 8080)]
//!     port: u16,
//! }
//!
//! let code = jwt_config_cli::run::<BillingConfig>(
//!     std::env::args_os(),
//!     &mut std::io::stdout(),
//!     &mut std::io::stderr(),
//!     false,
//! );
//! std::process::exit(code.into());
//! ```
//!
//! Exit codes: 0 valid (or no difference), 1 problems (or a difference), 2 usage or I/O error.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod commands;
mod fleet;
mod fleet_audit;
mod style;

pub use fleet_audit::{FleetAudit, SCHEMA_LABEL, Workload};

use std::ffi::OsString;
use std::io::Write;

use clap::Parser as _;
use jwt_config::agreement::KeyView;
use jwt_config::{Config, HasJwtConfig, JwtConfig};

use args::{Cli, Command, KeysAction, KeysArgs};

/// Exit code: valid, no difference.
pub const EXIT_OK: u8 = 0;
/// Exit code: problems found, or the files differ.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code: a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// Runs the command line `args` (the program name first) for schema `T`. The `keys`
/// subcommand needs the JWT settings: see [`run_with_keys`].
pub fn run<T: Config>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    colour: bool,
) -> u8 {
    run_inner::<T>(args, stdout, stderr, colour, None)
}

/// What a schema holding the JWT settings adds: the `keys` subcommand, and key agreement in
/// `diff` and `audit`.
struct KeySupport<T> {
    command: KeysCommand,
    keys_of: fn(&T) -> KeyView,
    jwt_of: fn(&T) -> &JwtConfig,
}

/// [`run`] for a schema that holds the JWT settings ([`HasJwtConfig`]: `JwtConfig`, or a
/// service's struct that flattens it), with the `keys` subcommand.
pub fn run_with_keys<T: Config + HasJwtConfig>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    colour: bool,
) -> u8 {
    let support = KeySupport {
        command: commands::keys::<T>,
        keys_of: |config: &T| config.jwt_config().key_view(),
        jwt_of: |config: &T| config.jwt_config(),
    };
    run_inner::<T>(args, stdout, stderr, colour, Some(support))
}

/// The `keys` subcommand of a schema, where it has one.
type KeysCommand = fn(&KeysArgs, style::Style, &mut dyn Write, &mut dyn Write) -> commands::Outcome;

fn run_inner<T: Config>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    colour: bool,
    keys: Option<KeySupport<T>>,
) -> u8 {
    let cli = match parse(args, stdout, stderr) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let style = style::Style::new(colour);
    let result = match cli.command {
        Command::Check(args) => commands::check::<T>(&args, style, stdout),
        Command::Diff(args) => {
            commands::diff::<T>(&args, keys.as_ref().map(|k| k.keys_of), style, stdout)
        }
        Command::Audit(args) => {
            let (keys_of, jwt_of) = (
                keys.as_ref().map(|k| k.keys_of),
                keys.as_ref().map(|k| k.jwt_of),
            );
            commands::audit::<T>(&args, keys_of, jwt_of, style, stdout)
        }
        Command::Template(args) => commands::template::<T>(&args, stdout),
        Command::Docs => commands::docs::<T>(stdout),
        Command::Schema => commands::schema::<T>(stdout),
        Command::Status(args) => commands::status(&args, style, stdout),
        Command::Keys(args) => match (&args.action, keys) {
            // A new key needs no schema.
            (Some(KeysAction::New(new)), _) => commands::keys_new(new, stdout, stderr),
            (_, Some(keys)) => (keys.command)(&args, style, stdout, stderr),
            (_, None) => {
                let _ = writeln!(
                    stderr,
                    "jwt-config: this schema holds no JwtConfig: `keys` needs `run_with_keys`"
                );
                return EXIT_USAGE;
            }
        },
    };
    finish(result, stderr)
}

/// The command line parsed; else its help or version printed (exit 0) or its error (exit 2).
fn parse(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Cli, u8> {
    Cli::try_parse_from(args).map_err(|error| {
        let informational = !error.use_stderr();
        let stream: &mut dyn Write = if informational { stdout } else { stderr };
        let _ = write!(stream, "{}", error.render());
        if informational { EXIT_OK } else { EXIT_USAGE }
    })
}

/// A command's exit code; a usage error said on `stderr`.
fn finish(result: commands::Outcome, stderr: &mut dyn Write) -> u8 {
    match result {
        Ok(code) => code,
        // Like other commands, stop quietly when the reader of the output went away.
        Err(error) if error.is_closed_output() => EXIT_OK,
        Err(error) => {
            let _ = writeln!(stderr, "jwt-config: {error}");
            EXIT_USAGE
        }
    }
}
