use jwt_config::Config;

#[derive(Config)]
struct S;

fn main() {}
