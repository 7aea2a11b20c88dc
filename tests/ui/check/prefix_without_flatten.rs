use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(prefix = "DB_")]
    port: u16,
}

fn main() {}
