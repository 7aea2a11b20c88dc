//! `jwt-config`: the command line for the canonical `JwtConfig` schema.

use std::io::IsTerminal as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let code = jwt_config_cli::run_with_keys::<jwt_config::JwtConfig>(
        std::env::args_os(),
        &mut stdout.lock(),
        &mut std::io::stderr().lock(),
        colour,
    );
    ExitCode::from(code)
}
