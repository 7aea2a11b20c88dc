//! RFC 7515 appendix A.1: the HS256 example token verifies with the key of its JWK given as
//! `JWT_SECRET_KEY=base64:<k>`, and a key differing in one byte rejects it.

use jwt_config::jsonwebtoken::errors::ErrorKind;
use jwt_config::{Config, JwtConfig, MapSource};

const JWK_K: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn verify_with(k: &str) -> Result<serde_json::Value, ErrorKind> {
    let source = MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("JWT_SECRET_KEY", format!("base64:{k}"))
        .with("JWT_ISSUER", "joe")
        .with("JWT_AUDIENCE", "unused")
        .with("SERVICE_ID", "rfc")
        .with("SERVICE_SECRET", "a-service-secret-of-at-least-32-bytes!")
        .with("SERVICE_ALLOWED_CALLERS", "*");
    let config = JwtConfig::from_source(&source).unwrap();
    let mut validation = config.validation();
    // The token expired in 2011 and has no `aud`.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss"]);
    jwt_config::jsonwebtoken::decode::<serde_json::Value>(
        TOKEN,
        config.decoding_key().unwrap(),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|error| error.into_kind())
}

#[test]
fn the_rfc_example_token_verifies_with_the_configured_key() {
    let claims = verify_with(JWK_K).unwrap();
    assert_eq!(claims["iss"], "joe");
    assert_eq!(claims["http://example.com/is_root"], true);
}

#[test]
fn a_key_differing_in_one_byte_rejects_it() {
    // The first character `A` carries the top six bits of byte 0; `B` flips one bit.
    let altered = format!("B{}", &JWK_K[1..]);
    assert_eq!(
        verify_with(&altered).unwrap_err(),
        ErrorKind::InvalidSignature
    );
}
