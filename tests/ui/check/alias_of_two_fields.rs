use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(alias = "OLD_PORT")]
    port: u16,
    #[config(alias = "OLD_PORT")]
    admin_port: u16,
}

fn main() {}
