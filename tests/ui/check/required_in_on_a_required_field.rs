use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(required_in(production))]
    service_id: String,
}

fn main() {}
