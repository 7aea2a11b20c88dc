use jwt_config::Config;

#[derive(Config)]
union S {
    a: u16,
}

fn main() {}
