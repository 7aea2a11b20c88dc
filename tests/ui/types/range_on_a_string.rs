use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(range(1..=5))]
    name: String,
}

fn main() {}
