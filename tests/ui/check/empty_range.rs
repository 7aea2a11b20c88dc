use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(range(10..=1))]
    port: u16,
}

fn main() {}
