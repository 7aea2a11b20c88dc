use jwt_config::{Config, Context, Secret};

fn check(_: &SPartial<'_>, _: &mut Context<'_>) {}

#[derive(Config)]
#[config(validate = check)]
struct S {
    #[config(env = "SIGNING_KEY", input_only)]
    signing_key: Secret<String>,
}

fn main() {}
