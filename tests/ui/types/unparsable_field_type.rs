use jwt_config::Config;

struct Opaque;

#[derive(Config)]
struct S {
    value: Opaque,
}

fn main() {}
