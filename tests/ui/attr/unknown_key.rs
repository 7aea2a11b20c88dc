use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(alais = "OLD_PORT")]
    port: u16,
}

fn main() {}
