use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(xyzzy = 1)]
    port: Option<u16>,
}

fn main() {}
