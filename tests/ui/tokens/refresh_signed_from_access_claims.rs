// An access token's claims cannot be signed as a refresh token: the lifetimes differ.
use jwt_config::{Config, JwtConfig, MapSource};

fn main() {
    let config = JwtConfig::from_source(&MapSource::new()).unwrap();
    let _ = config.encode_refresh(&config.access_claims("user"));
}
