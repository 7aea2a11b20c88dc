// A refresh token's claims cannot be signed as an access token: the lifetimes differ.
use jwt_config::{Config, JwtConfig, MapSource};

fn main() {
    let config = JwtConfig::from_source(&MapSource::new()).unwrap();
    let _ = config.encode(&config.refresh_claims("user"));
}
