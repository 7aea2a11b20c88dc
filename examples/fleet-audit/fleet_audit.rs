//! The fleet audit of the two example services: `jwt-config audit`'s command line, each
//! workload loaded with the struct it really runs (`AuthConfig` for the workloads labelled
//! `jwt-config/schema: auth`, `BackendConfig` for `backend`), the shared JWT settings compared
//! across both.
//!
//! ```sh
//! cargo run -p jwt-config-cli --example fleet_audit -- audit --strict examples/k8s/services
//! ```

#[allow(dead_code)] // the services' settings: only their schemas are used here
#[path = "../axum/schemas.rs"]
mod schemas;

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write};

use jwt_config_cli::FleetAudit;

/// The audit of the example fleet over the command line `args` (program name first).
pub(crate) fn run(
    args: impl IntoIterator<Item = OsString>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    colour: bool,
) -> u8 {
    FleetAudit::new()
        .schema::<schemas::AuthConfig>("auth")
        .schema::<schemas::BackendConfig>("backend")
        .run(args, stdout, stderr, colour)
}

fn main() {
    let colour = std::io::stdout().is_terminal();
    let code = run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        colour,
    );
    std::process::exit(code.into());
}
