use jwt_config::Config;

#[derive(Config)]
enum S {
    A,
}

fn main() {}
