use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(env = "PORT")]
    http_port: u16,
    port: u16,
}

fn main() {}
