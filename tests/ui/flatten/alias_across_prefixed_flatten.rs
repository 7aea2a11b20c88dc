use jwt_config::Config;

#[derive(Config)]
struct Database {
    #[config(alias = "OLD_HOST")]
    host: String,
}

#[derive(Config)]
struct App {
    #[config(flatten, prefix = "DB_")]
    database: Database,
    #[config(env = "DB_OLD_HOST")]
    legacy: String,
}

fn main() {}
