use jwt_config::{Config, Secret};

#[derive(Config)]
struct S {
    #[config(env = "SIGNING_KEY", input_only)]
    signing_key: Option<Secret<String>>,
}

fn main() {}
