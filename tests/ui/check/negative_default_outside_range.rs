use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = -5, range(0..))]
    offset: i32,
}

fn main() {}
