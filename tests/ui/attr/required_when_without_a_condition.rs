use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_when = " ")]
    token: Option<String>,
}

fn main() {}
