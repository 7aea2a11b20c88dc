use jwt_config::Config;

#[derive(Debug)]
struct Port(u16);

impl std::str::FromStr for Port {
    type Err = std::num::ParseIntError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Port)
    }
}

#[derive(Config)]
struct S {
    #[config(default = "eighty")]
    port: Port,
}

fn main() {}
