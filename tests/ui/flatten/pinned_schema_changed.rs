use jwt_config::{Config, assert_schema};

#[derive(Config)]
struct Settings {
    #[config(default = 8080)]
    port: u16,
    /// Added after the schema was reviewed and pinned.
    #[config(default = 30)]
    timeout_seconds: u64,
}

assert_schema!(Settings, "b2dfdc6ee7130176");

fn main() {}
