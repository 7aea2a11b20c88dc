use jwt_config::Config;

#[derive(Config)]
struct Database {
    host: String,
}

#[derive(Config)]
struct App {
    #[config(flatten)]
    database: Database,
    #[config(env = "HOST")]
    listen_host: String,
}

fn main() {}
