use jwt_config::Config;

#[derive(Config)]
struct Inner {
    port: u16,
}

#[derive(Config)]
struct S {
    #[config(flatten, key_material)]
    inner: Inner,
}

fn main() {}
