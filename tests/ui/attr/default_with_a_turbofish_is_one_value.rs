use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(default = std::collections::BTreeMap::<String, String>::new(), xyzzy)]
    map: std::collections::BTreeMap<String, String>,
}

fn main() {}
