use jwt_config::Config;

#[derive(Config)]
struct S<T> {
    value: T,
}

fn main() {}
