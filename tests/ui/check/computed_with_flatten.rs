use jwt_config::Config;

#[derive(Config)]
struct Inner {
    port: Option<u16>,
}

fn make(_: &SPartial<'_>, _: &mut jwt_config::Context<'_>) -> Option<Inner> {
    None
}

#[derive(Config)]
struct S {
    #[config(flatten, computed = make)]
    inner: Inner,
}

fn main() {}
