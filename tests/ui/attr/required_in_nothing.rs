use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_in())]
    port: Option<u16>,
}

fn main() {}
