use jwt_config::Config;

#[derive(Config)]
struct Inner {
    port: Option<u16>,
}

#[derive(Config)]
struct S {
    #[config(flatten, required_when = "always")]
    inner: Inner,
}

fn main() {}
