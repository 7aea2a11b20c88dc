use jwt_config::Config;

#[derive(Config)]
struct S {
    #[config(alais = "A", env = "a")]
    port: u16,
    #[config(secrte)]
    key: String,
}

fn main() {}
