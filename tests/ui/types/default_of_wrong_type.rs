use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = "eighty")]
    port: u16,
}

fn main() {}
