use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_in(staging, prod))]
    key: Option<String>,
}

fn main() {}
