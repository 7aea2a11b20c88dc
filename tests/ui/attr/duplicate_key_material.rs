use jwt_config::{Config, Secret};

#[derive(Config)]
struct S {
    #[config(env = "SIGNING_KEY", key_material, key_material)]
    signing_key: Secret<String>,
}

fn main() {}
