use jwt_config::Config;

fn parse(text: &str) -> u16 {
    text.len() as u16
}

#[derive(Config)]
struct S {
    #[config(parse_with = parse)]
    port: u16,
}

fn main() {}
