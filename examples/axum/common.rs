//! What both example services do alike: serve.

use axum::Router;

/// What could not start, said, and the process ended.
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
