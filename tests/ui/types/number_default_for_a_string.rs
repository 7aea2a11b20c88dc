use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = 5)]
    name: String,
}

fn main() {}
