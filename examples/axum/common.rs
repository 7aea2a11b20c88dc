//! What both example services do alike: load their settings and serve.

use axum::Router;
use jwt_config::{Config, EnvFile, Layered, Loaded, MapSource, ProcessEnv};

/// The env file named on the command line, the service's own settings over it, the process
/// environment over both. Every problem is printed and the service does not start.
pub(crate) fn load<T: Config>(own: MapSource) -> Loaded<T> {
    let mut layers = Layered::new();
    if let Some(path) = std::env::args_os().nth(1) {
        match EnvFile::isolated(path) {
            Ok(file) => layers = layers.over(file),
            Err(error) => exit(error),
        }
    }
    match T::load_with_report(&layers.over(own).over(ProcessEnv)) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
            loaded
        }
        Err(error) => exit(error),
    }
}

pub(crate) fn exit(error: impl std::fmt::Display) -> ! {
    eprintln!("{error}");
    std::process::exit(1)
}

/// Serves `app` on 127.0.0.1:`port` until the process is stopped.
pub(crate) async fn serve(name: &str, port: u16, app: Router) {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => exit(format!("{name}: port {port}: {error}")),
    };
    eprintln!("{name} on http://127.0.0.1:{port}");
    if let Err(error) = axum::serve(listener, app).await {
        exit(format!("{name}: {error}"));
    }
}
