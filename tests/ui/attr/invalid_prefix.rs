use jwt_config::Config;

#[derive(Config)]
#[config(prefix = "app_")]
struct S {
    port: u16,
}

fn main() {}
