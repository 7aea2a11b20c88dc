use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(alias = "OLD-PORT")]
    port: u16,
}

fn main() {}
