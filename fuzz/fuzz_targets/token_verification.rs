//! Token verification on arbitrary input: no panic, no acceptance of a forged token, and a
//! refusal's text bounded.
#![no_main]

mod common;

use std::sync::OnceLock;

use jwt_config::service_auth::SERVICE_TOKEN_HEADER;
use jwt_config::{AccessClaims, Config, JwtConfig};
use libfuzzer_sys::fuzz_target;

fn config() -> &'static JwtConfig {
    static CONFIG: OnceLock<JwtConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let source = common::production();
        JwtConfig::from_source(&source).unwrap()
    })
}

fuzz_target!(|token: &str| {
    let config = config();
    match config.decode::<AccessClaims>(token) {
        Ok(_) => panic!("a token nobody signed was accepted"),
        Err(error) => assert!(error.to_string().len() < 400),
    }
    assert!(config.decode_refresh::<AccessClaims>(token).is_err());
    if let Ok(value) = http::HeaderValue::from_str(token) {
        let mut headers = http::HeaderMap::new();
        headers.insert(SERVICE_TOKEN_HEADER, value);
        let refused = config.verify_service_call(&headers).unwrap_err();
        assert!(refused.to_string().len() < 400);
    }
});
