use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(range(5..5))]
    port: u16,
}

fn main() {}
