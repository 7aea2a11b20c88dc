use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(range(1..=10 20))]
    port: u16,
}

fn main() {}
