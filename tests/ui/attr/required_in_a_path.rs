use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_in(env::staging))]
    port: Option<u16>,
}

fn main() {}
