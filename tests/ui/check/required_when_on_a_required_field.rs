use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_when = "MODE is strict")]
    service_id: String,
}

fn main() {}
