use jwt_config::Config;

#[derive(Config)]
#[config(prefx = "APP_")]
struct S {
    port: u16,
}

fn main() {}
