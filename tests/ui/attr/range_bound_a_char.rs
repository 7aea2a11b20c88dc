use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(range('a'..=10))]
    port: u16,
}

fn main() {}
