use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default)]
    port: u16,
}

fn main() {}
