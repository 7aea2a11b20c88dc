//! Every token says what it is: refresh and service tokens never pass as access tokens,
//! nbf is checked, service tokens cannot claim long lives, equivalent HMAC keys are refused.

mod common;

use common::*;
use jwt_config::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use jwt_config::service_auth::{SERVICE_TOKEN_HEADER, ServiceAuthError};
use jwt_config::{AccessClaims, Config, JwtConfig, TokenError};
use serde::{Deserialize, Serialize};

#[test]
fn a_refresh_token_is_refused_where_an_access_token_is_expected() {
    let auth = load_jwt(&hs256("production", "auth"));
    let refresh = auth.encode_refresh(&auth.refresh_claims("user-1")).unwrap();
    let error = auth.decode::<AccessClaims>(&refresh).unwrap_err();
    assert_eq!(error.kind(), "wrong_type", "{error}");
    assert!(error.to_string().contains("refresh+jwt"), "{error}");
    assert!(auth.decode_refresh::<AccessClaims>(&refresh).is_ok());
}

#[test]
fn an_access_token_is_typed_and_refused_as_a_refresh_token() {
    let auth = load_jwt(&hs256("production", "auth"));
    let access = auth.encode(&auth.access_claims("user-1")).unwrap();
    let header = jsonwebtoken::decode_header(&access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let error = auth.decode_refresh::<AccessClaims>(&access).unwrap_err();
    assert_eq!(error.kind(), "wrong_type");
}

#[test]
fn a_service_token_is_never_an_access_or_refresh_token_even_with_one_key() {
    // Even where a service token is signed with the user-token key, its type refuses it.
    let auth = load_jwt(&hs256("production", "auth"));
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("service+jwt".into());
    let claims = auth.access_claims("auth");
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        auth.decode::<AccessClaims>(&token).unwrap_err().kind(),
        "wrong_type"
    );
    assert_eq!(
        auth.decode_refresh::<AccessClaims>(&token)
            .unwrap_err()
            .kind(),
        "wrong_type"
    );
}

/// A token made the way PyJWT makes it: `typ: JWT`, `aud` a single string.
fn pyjwt_token(typ: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = typ.map(str::to_owned);
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "user-7", "iss": "https://auth.example.com", "aud": "backend",
        "iat": now, "exp": now + 600,
    });
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

#[test]
fn untyped_access_tokens_pass_only_through_the_named_migration_setting() {
    let strict = load_jwt(&hs256("production", "backend"));
    for typ in [Some("JWT"), None] {
        let error = strict
            .decode::<AccessClaims>(&pyjwt_token(typ))
            .unwrap_err();
        assert_eq!(error.kind(), "wrong_type", "{typ:?}");
    }
    let migrating = JwtConfig::load_with_report(
        &hs256("production", "backend").with("JWT_ACCEPT_UNTYPED_ACCESS_TOKENS", "true"),
    )
    .unwrap();
    assert!(
        migrating
            .warnings
            .iter()
            .any(|w| w.variable() == "JWT_ACCEPT_UNTYPED_ACCESS_TOKENS")
    );
    for typ in [Some("JWT"), None] {
        let data = migrating
            .value
            .decode::<AccessClaims>(&pyjwt_token(typ))
            .unwrap();
        assert_eq!(data.claims.aud, ["backend"]);
    }
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let auth = load_jwt(&hs256("production", "auth"));
    let mut claims = auth.access_claims("user-1");
    claims.nbf = Some(jsonwebtoken::get_current_timestamp() + 3600);
    let token = auth.encode(&claims).unwrap();
    assert_eq!(
        auth.decode::<AccessClaims>(&token).unwrap_err(),
        TokenError::NotYetValid
    );
}

#[test]
fn errors_name_what_is_expected_and_have_a_stable_kind() {
    let auth = load_jwt(&hs256("production", "auth"));
    let token = auth.encode(&auth.access_claims("user-1")).unwrap();
    let other = load_jwt(&hs256("production", "backend").with("JWT_AUDIENCE", "reporting"));
    let error = other.decode::<AccessClaims>(&token).unwrap_err();
    assert_eq!(error.kind(), "wrong_audience");
    assert!(error.to_string().contains("reporting"), "{error}");
}

#[test]
fn an_attacker_chosen_type_is_cut_and_escaped_in_the_error() {
    let auth = load_jwt(&hs256("production", "auth"));
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(format!("x\n{}", "y".repeat(1_000_000)));
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &auth.access_claims("u"), &key).unwrap();
    let error = auth.decode::<AccessClaims>(&token).unwrap_err();
    let text = error.to_string();
    assert!(text.len() < 200 && !text.contains('\n'), "{text}");
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Roles {
    roles: Vec<String>,
    tenant: String,
}

#[test]
fn a_service_adds_its_own_claims_and_keeps_the_registered_ones_and_the_type_check() {
    let auth = load_jwt(&hs256("production", "auth"));
    let extra = Roles {
        roles: vec!["admin".into()],
        tenant: "t-1".into(),
    };
    let token = auth
        .encode(&auth.access_claims("user-1").with_extra(extra.clone()))
        .unwrap();
    let data = auth.decode::<AccessClaims<Roles>>(&token).unwrap();
    assert_eq!(
        (data.claims.sub.as_str(), &data.claims.extra),
        ("user-1", &extra)
    );
    let refresh = auth
        .encode_refresh(&auth.refresh_claims("user-1").with_extra(extra))
        .unwrap();
    assert!(auth.decode::<AccessClaims<Roles>>(&refresh).is_err());
}

/// A service token minted with the shared secret, as a thief of it could.
fn minted_service_token(iss: serde_json::Value, lifetime: u64) -> http::HeaderMap {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("service+jwt".into());
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "iss": iss, "sub": "auth", "aud": "backend", "iat": now, "exp": now + lifetime,
    });
    let key = EncodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(SERVICE_TOKEN_HEADER, token.parse().unwrap());
    headers
}

#[test]
fn a_service_token_claiming_a_long_life_is_refused() {
    let backend = load_jwt(&hs256("production", "backend"));
    let ten_years = 10 * 365 * 24 * 3600;
    let refused = backend
        .verify_service_call(&minted_service_token("auth".into(), ten_years))
        .unwrap_err();
    assert_eq!(refused.kind(), "lifetime_too_long", "{refused}");
    // The configured 60 s plus the 30 s leeway pass.
    assert!(
        backend
            .verify_service_call(&minted_service_token("auth".into(), 90))
            .is_ok()
    );
}

#[test]
fn a_service_token_whose_issuer_is_not_one_string_is_refused() {
    let backend = load_jwt(&hs256("production", "backend"));
    let refused = backend
        .verify_service_call(&minted_service_token(
            serde_json::json!(["auth", "billing"]),
            60,
        ))
        .unwrap_err();
    assert_eq!(refused, ServiceAuthError::Token(TokenError::Malformed));
}

#[test]
fn a_service_secret_hmac_treats_as_the_jwt_secret_is_refused() {
    use base64::Engine as _;
    let mut padded = JWT_SECRET.as_bytes().to_vec();
    padded.extend([0, 0, 0]);
    let padded = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode(&padded)
    );
    let error =
        JwtConfig::from_source(&hs256("production", "auth").with("SERVICE_SECRET", &padded))
            .unwrap_err();
    assert!(error.mentions("SERVICE_SECRET"), "{error}");
    assert!(error.to_string().contains("as an HMAC key"), "{error}");
}

#[test]
fn a_service_secret_equal_to_the_jwt_secret_under_hmac_sha512_is_refused() {
    use base64::Engine as _;
    // 80 bytes: longer than SHA-256's block (so the HS256 model hashed both and saw two
    // keys), shorter than SHA-512's, where a trailing zero byte is only padding.
    let key = "k".repeat(80);
    let mut padded = key.as_bytes().to_vec();
    padded.push(0);
    let padded = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode(&padded)
    );
    let source = hs256("production", "auth")
        .with("JWT_ALGORITHM", "HS512")
        .with("JWT_SECRET_KEY", &key)
        .with("SERVICE_SECRET", &padded);
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert!(error.mentions("SERVICE_SECRET"), "{error}");
    assert!(error.to_string().contains("HS512"), "{error}");
}

#[test]
fn a_refresh_token_lives_the_refresh_lifetime_and_an_access_token_cannot_claim_it() {
    let auth = load_jwt(&hs256("production", "auth"));
    let refresh = auth.encode_refresh(&auth.refresh_claims("user-1")).unwrap();
    let claims = auth
        .decode_refresh::<AccessClaims>(&refresh)
        .unwrap()
        .claims;
    assert_eq!(claims.exp - claims.iat, 7 * 24 * 3600);
    // An access token signed with a refresh token's lifetime (by hand, as the types no
    // longer allow it) is refused, naming the setting.
    let mut long = auth.access_claims("user-1");
    long.exp = long.iat + 7 * 24 * 3600;
    let token = auth.encode(&long).unwrap();
    let error = auth.decode::<AccessClaims>(&token).unwrap_err();
    assert_eq!(error.kind(), "lifetime_too_long", "{error}");
    assert!(
        error
            .to_string()
            .contains("JWT_ACCESS_TOKEN_EXPIRE_MINUTES"),
        "{error}"
    );
    // Without `iat`, `exp` may lie no further ahead than the lifetime either.
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({"sub": "u", "iss": "https://auth.example.com",
        "aud": "backend", "exp": now + 3600});
    let key = EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let error = auth.decode::<serde_json::Value>(&token).unwrap_err();
    assert_eq!(error.kind(), "lifetime_too_long", "{error}");
    // A refresh token longer than JWT_REFRESH_TOKEN_EXPIRE_DAYS is refused too.
    let mut longer = auth.refresh_claims("user-1");
    let iat = longer.claims().iat;
    longer.claims_mut().exp = iat + 30 * 24 * 3600;
    let token = auth.encode_refresh(&longer).unwrap();
    let error = auth.decode_refresh::<AccessClaims>(&token).unwrap_err();
    assert!(
        error.to_string().contains("JWT_REFRESH_TOKEN_EXPIRE_DAYS"),
        "{error}"
    );
}
