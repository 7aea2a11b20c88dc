use jwt_config::Config;

const LOW: u16 = 1;

#[derive(Config)]
struct S {
    #[config(range(LOW..=10))]
    port: u16,
}

fn main() {}
