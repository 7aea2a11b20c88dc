use jwt_config::Config;

#[derive(Config)]
#[config(require_environment, require_environment)]
struct S {
    port: Option<u16>,
}

fn main() {}
