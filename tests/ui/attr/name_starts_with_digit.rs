use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(env = "1PORT")]
    port: u16,
}

fn main() {}
