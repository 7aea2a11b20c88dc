use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = , env = "PORT")]
    port: u16,
}

fn main() {}
