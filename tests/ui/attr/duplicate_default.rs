use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = 1)]
    #[config(default = 2)]
    port: u16,
}

fn main() {}
