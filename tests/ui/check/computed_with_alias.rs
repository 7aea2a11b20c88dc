use jwt_config::Config;

fn build(_: &SPartial<'_>, _: &mut jwt_config::Context<'_>) -> Option<u16> {
    Some(1)
}

#[derive(Config)]
struct S {
    name: String,
    #[config(computed = build, alias = "OLD")]
    port: u16,
}

fn main() {}
