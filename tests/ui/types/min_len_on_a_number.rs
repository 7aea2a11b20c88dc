use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(min_len = 2)]
    port: u16,
}

fn main() {}
