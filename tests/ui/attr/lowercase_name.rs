use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(env = "port")]
    port: u16,
}

fn main() {}
