use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(env = "PORT", env = "HTTP_PORT")]
    port: u16,
}

fn main() {}
