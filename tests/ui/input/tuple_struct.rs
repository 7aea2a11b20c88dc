use jwt_config::Config;

#[derive(Config)]
struct S(u16);

fn main() {}
