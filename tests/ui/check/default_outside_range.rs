use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = 0, range(1..=65535))]
    port: u16,
}

fn main() {}
