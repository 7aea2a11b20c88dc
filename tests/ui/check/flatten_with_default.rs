use jwt_config::Config;

#[derive(Config)]
struct Inner {
    port: u16,
}

#[derive(Config)]
struct S {
    #[config(flatten, default = Inner { port: 1 })]
    inner: Inner,
}

fn main() {}
