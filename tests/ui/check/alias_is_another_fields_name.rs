use jwt_config::Config;

#[derive(Config)]
struct S {
    port: u16,
    #[config(alias = "PORT")]
    admin_port: u16,
}

fn main() {}
