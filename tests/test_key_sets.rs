//! Key ids and verification key sets: every token names its key, verification selects by
//! `kid` among configured keys only, and a rotation needs no outage.

mod common;

use base64::Engine as _;
use common::*;
use jwt_config::jsonwebtoken;
use jwt_config::{AccessClaims, Config, JwtConfig};

const NEW_SECRET: &str = "new-jwt-secret-8c1e4f7a2b5d9e0c3f6a1b4d7e9c2f5a";

fn oct(kid: &str, secret: &str) -> String {
    let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    format!(r#"{{"kid":"{kid}","kty":"oct","k":"{k}"}}"#)
}

fn set(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

#[test]
fn every_token_carries_the_id_of_its_key() {
    let auth = load_jwt(&hs256("production", "auth"));
    let token = auth.encode(&auth.access_claims("u")).unwrap();
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    assert_eq!(Some(kid.as_str()), auth.key_id());
    assert!(kid.starts_with("hs-") && kid.len() == 19, "{kid}");
    assert!(!kid.contains(&JWT_SECRET[..6]));
    let named = load_jwt(&hs256("production", "auth").with("JWT_KEY_ID", "2026-11"));
    assert_eq!(named.key_id(), Some("2026-11"));
    let rsa = load_jwt(
        &hs256("production", "auth")
            .with("JWT_ALGORITHM", "RS256")
            .with("JWT_PUBLIC_KEY", key("rsa2048_public")),
    );
    // The RFC 7638 thumbprint: SHA-256, base64url without padding.
    assert_eq!(rsa.key_id().unwrap().len(), 43, "{:?}", rsa.key_id());
}

#[test]
fn a_rotation_of_the_shared_secret_keeps_every_token_valid_at_every_step() {
    // Step 1: every service verifies the next key too.
    let old_verifier = load_jwt(
        &hs256("production", "backend")
            .with("JWT_KEY_ID", "k1")
            .with("JWT_VERIFICATION_KEYS", set(&[oct("k2", NEW_SECRET)])),
    );
    // Step 2: the issuer signs with the new key; the old one only verifies.
    let new_issuer = load_jwt(
        &hs256("production", "auth")
            .with("JWT_SECRET_KEY", NEW_SECRET)
            .with("JWT_KEY_ID", "k2")
            .with("JWT_VERIFICATION_KEYS", set(&[oct("k1", JWT_SECRET)])),
    );
    let old_issuer = load_jwt(&hs256("production", "auth").with("JWT_KEY_ID", "k1"));
    let old_token = old_issuer.encode(&old_issuer.access_claims("u")).unwrap();
    let new_token = new_issuer.encode(&new_issuer.access_claims("u")).unwrap();
    for (verifier, token) in [
        (&old_verifier, &old_token),
        (&old_verifier, &new_token),
        (&new_issuer, &old_token),
        (&new_issuer, &new_token),
    ] {
        verifier.decode::<AccessClaims>(token).unwrap();
    }
    // Step 3 done too early: a verifier without the old key refuses the old tokens by id.
    let after = load_jwt(
        &hs256("production", "backend")
            .with("JWT_SECRET_KEY", NEW_SECRET)
            .with("JWT_KEY_ID", "k2"),
    );
    let error = after.decode::<AccessClaims>(&old_token).unwrap_err();
    assert_eq!(error.kind(), "unknown_key_id", "{error}");
    assert!(error.to_string().contains("\"k1\""));
}

#[test]
fn a_token_without_a_key_id_is_tried_with_the_own_key_only() {
    let verifier = load_jwt(
        &hs256("production", "backend")
            .with("JWT_VERIFICATION_KEYS", set(&[oct("k2", NEW_SECRET)])),
    );
    let issuer = load_jwt(&hs256("production", "auth").with("JWT_SECRET_KEY", NEW_SECRET));
    let mut header = issuer.header();
    header.kid = None;
    let key = jsonwebtoken::EncodingKey::from_secret(NEW_SECRET.as_bytes()).unwrap();
    let untagged = jsonwebtoken::encode(&header, &issuer.access_claims("u"), &key).unwrap();
    let error = verifier.decode::<AccessClaims>(&untagged).unwrap_err();
    assert_eq!(error.kind(), "bad_signature");
}

#[test]
fn the_published_key_set_holds_public_keys_only() {
    let rsa = hs256("production", "auth")
        .with("JWT_ALGORITHM", "RS256")
        .with("JWT_PUBLIC_KEY", key("rsa2048_public"))
        .with("JWT_PRIVATE_KEY", key("rsa2048_private"));
    let issuer = load_jwt(&rsa);
    let jwks = issuer.jwks();
    assert_eq!(jwks.keys.len(), 1);
    let json = serde_json::to_string(&jwks).unwrap();
    assert!(
        json.contains("\"kty\":\"RSA\"") && json.contains(issuer.key_id().unwrap()),
        "{json}"
    );
    for private_member in ["\"d\"", "\"p\"", "\"q\"", "\"k\""] {
        assert!(!json.contains(private_member), "{private_member} in {json}");
    }
    // A verifier configured with the issuer's published set accepts its tokens by id.
    let other = load_jwt(
        &hs256("production", "backend")
            .with("JWT_ALGORITHM", "RS256")
            .with("JWT_PUBLIC_KEY", key("rsa2048_other_public"))
            .with("JWT_VERIFICATION_KEYS", &json),
    );
    let token = issuer.encode(&issuer.access_claims("u")).unwrap();
    other.decode::<AccessClaims>(&token).unwrap();
    let hmac = load_jwt(
        &hs256("production", "auth").with("JWT_VERIFICATION_KEYS", set(&[oct("k2", NEW_SECRET)])),
    );
    assert!(hmac.jwks().keys.is_empty());
}

#[test]
fn a_bad_key_set_is_a_problem_that_shows_no_key_material() {
    let cases = [
        ("not json".to_owned(), "not a JWK Set"),
        (
            set(&[r#"{"kty":"oct","k":"c2VjcmV0"}"#.to_owned()]),
            "has no `kid`",
        ),
        (
            set(&[oct("k2", NEW_SECRET), oct("k2", NEW_SECRET)]),
            "repeats the id",
        ),
        (set(&[oct("k1", NEW_SECRET)]), "signing key's id"),
        (set(&[oct("k2", "short-secret")]), "bytes long"),
    ];
    for (value, expected) in cases {
        let source = hs256("production", "auth")
            .with("JWT_KEY_ID", "k1")
            .with("JWT_VERIFICATION_KEYS", &value);
        let error = JwtConfig::from_source(&source).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(error.mentions("JWT_VERIFICATION_KEYS"), "{text}");
        assert!(text.contains(expected), "{expected}: {text}");
        assert!(
            !text.contains(&NEW_SECRET[..10]) && !text.contains("c2VjcmV0"),
            "{text}"
        );
    }
}

#[test]
fn a_verifier_needs_no_pem_when_it_has_the_issuers_published_key_set() {
    let issuer = load_jwt(
        &hs256("production", "auth")
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_PUBLIC_KEY", key("ec256_public"))
            .with("JWT_PRIVATE_KEY", key("ec256_private")),
    );
    let published = serde_json::to_string(&issuer.jwks()).unwrap();
    let verifier = load_jwt(
        &hs256("production", "backend")
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_VERIFICATION_KEYS", &published),
    );
    assert_eq!(
        (verifier.key_id(), verifier.decoding_key().is_none()),
        (None, true)
    );
    assert_eq!(
        verifier
            .keys()
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>(),
        [issuer.key_id().unwrap()]
    );
    let token = issuer.encode(&issuer.access_claims("u")).unwrap();
    verifier.decode::<AccessClaims>(&token).unwrap();
    // It signs nothing, and a token naming no key has nothing to be tried with.
    assert!(verifier.encode(&verifier.access_claims("u")).is_err());
    let mut header = issuer.header();
    header.kid = None;
    let key = jsonwebtoken::EncodingKey::from_ec_pem(key("ec256_private").as_bytes()).unwrap();
    let untagged = jsonwebtoken::encode(&header, &issuer.access_claims("u"), &key).unwrap();
    assert_eq!(
        verifier
            .decode::<AccessClaims>(&untagged)
            .unwrap_err()
            .kind(),
        "no_key_id"
    );
    // Without either, the service could verify nothing.
    let error = JwtConfig::from_source(
        &hs256("production", "backend")
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_VERIFICATION_KEYS", r#"{"keys":[]}"#),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("could verify nothing"),
        "{error}"
    );
}

#[test]
fn every_key_type_publishes_its_public_half_only() {
    for (algorithm, private, public, kty) in [
        ("RS256", "rsa2048_private", "rsa2048_public", "RSA"),
        ("ES256", "ec256_private", "ec256_public", "EC"),
        ("ES384", "ec384_private", "ec384_public", "EC"),
        ("EdDSA", "ed25519_private", "ed25519_public", "OKP"),
    ] {
        let issuer = load_jwt(
            &hs256("production", "auth")
                .with("JWT_ALGORITHM", algorithm)
                .with("JWT_PUBLIC_KEY", key(public))
                .with("JWT_PRIVATE_KEY", key(private)),
        );
        let json = serde_json::to_value(issuer.jwks()).unwrap();
        let keys = json["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{algorithm}");
        assert_eq!(keys[0]["kty"], kty, "{algorithm}");
        assert_eq!(keys[0]["kid"].as_str(), issuer.key_id(), "{algorithm}");
        for private_member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                keys[0].get(private_member).is_none(),
                "{algorithm}: {private_member}"
            );
        }
    }
}

#[test]
fn hand_written_key_sets_get_a_hint_for_the_usual_mistakes() {
    // An env file's unquoted JSON loses its double quotes on the way.
    let file = TempFile::new(
        "verifier.env",
        format!(
            "ENVIRONMENT=production\nJWT_SECRET_KEY={JWT_SECRET}\nJWT_ISSUER=auth\nJWT_AUDIENCE=api\n\
             SERVICE_ID=backend\nSERVICE_SECRET={SERVICE_SECRET}\nJWT_KEY_ID=k1\n\
             JWT_VERIFICATION_KEYS={}\n",
            set(&[oct("k2", NEW_SECRET)])
        ),
    );
    let env = jwt_config::EnvFile::isolated(file.path()).unwrap();
    let error = JwtConfig::from_source(&env).unwrap_err();
    assert!(error.to_string().contains("quote"), "{error}");
    // Standard base64 (with `+`, `/` or `=`) where JWK needs base64url without padding.
    let standard = base64::engine::general_purpose::STANDARD.encode(format!("{NEW_SECRET}>>?"));
    assert!(standard.contains('+') || standard.contains('/') || standard.contains('='));
    let key = format!(r#"{{"kid":"k2","kty":"oct","k":"{standard}"}}"#);
    for variable in ["JWT_VERIFICATION_KEYS", "SERVICE_VERIFICATION_KEYS"] {
        let source = hs256("production", "auth")
            .with("JWT_KEY_ID", "k1")
            .with(variable, set(std::slice::from_ref(&key)));
        let error = JwtConfig::from_source(&source).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("base64url without padding"), "{text}");
        assert!(!text.contains(&standard[..12]), "{text}");
    }
}

/// An env file of a receiver whose last line is `line`.
fn receiver_env_file(line: &str) -> TempFile {
    TempFile::new(
        "receiver.env",
        format!(
            "ENVIRONMENT=production\nJWT_SECRET_KEY={JWT_SECRET}\nJWT_ISSUER=auth\nJWT_AUDIENCE=api\n\
             SERVICE_ID=backend\nSERVICE_SECRET={SERVICE_SECRET}\nSERVICE_ALLOWED_CALLERS=*\n{line}\n"
        ),
    )
}

/// The whole text of a failed load: Display and Debug.
fn failure(env: Result<jwt_config::EnvFile, jwt_config::ConfigError>) -> String {
    let error = match env {
        Ok(env) => JwtConfig::from_source(&env).unwrap_err(),
        Err(error) => error,
    };
    format!("{error} {error:?}")
}

#[test]
fn an_unquoted_service_key_set_in_an_env_file_is_told_to_use_single_quotes() {
    let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(NEW_SECRET);
    // Without spaces, dotenvy takes the double quotes away; with them, it ends the value at
    // the first space (and a `#` after a space starts a comment), so the line does not parse.
    for json in [
        format!(r#"{{"keys":[{{"kid":"s2","kty":"oct","k":"{k}"}}]}}"#),
        format!(r#"{{"keys": [{{"kid": "s2", "kty": "oct", "k": "{k}"}}]}}"#),
        format!(r#"{{"keys": #[{{"kid":"s2","kty":"oct","k":"{k}"}}]}}"#),
    ] {
        let file = receiver_env_file(&format!("SERVICE_VERIFICATION_KEYS={json}"));
        let text = failure(jwt_config::EnvFile::isolated(file.path()));
        assert!(text.contains("SERVICE_VERIFICATION_KEYS"), "{text}");
        assert!(text.contains("single quotes"), "{text}");
        assert!(!text.contains(&k[..12]), "{text}");
        // Quoted as the message says, it loads.
        let file = receiver_env_file(&format!("SERVICE_VERIFICATION_KEYS='{json}'"));
        if !json.contains('#') {
            let env = jwt_config::EnvFile::isolated(file.path()).unwrap();
            JwtConfig::from_source(&env).unwrap_or_else(|error| panic!("{error}"));
        }
    }
}

#[test]
fn a_padded_or_standard_base64_k_in_a_service_key_set_is_told_the_base64url_form() {
    let padded = base64::engine::general_purpose::URL_SAFE.encode(NEW_SECRET);
    assert!(padded.ends_with('='), "{padded}");
    let standard = base64::engine::general_purpose::STANDARD.encode(format!("{NEW_SECRET}>>?"));
    for k in [&padded, &standard] {
        let line = format!(
            r#"SERVICE_VERIFICATION_KEYS='{{"keys":[{{"kid":"s2","kty":"oct","k":"{k}"}}]}}'"#
        );
        let file = receiver_env_file(&line);
        let text = failure(jwt_config::EnvFile::isolated(file.path()));
        assert!(text.contains("SERVICE_VERIFICATION_KEYS"), "{text}");
        assert!(text.contains("base64url without padding"), "{text}");
        assert!(!text.contains(&k[..12]), "{text}");
    }
}

#[test]
fn a_bad_verification_key_is_reported_beside_a_missing_issuer() {
    let mut source = hs256("production", "backend").with(
        "JWT_VERIFICATION_KEYS",
        r#"{"keys":[{"kty":"oct","k":"c2hvcnQ"}]}"#,
    );
    source.remove("JWT_ISSUER");
    let error = JwtConfig::from_source(&source).unwrap_err();
    assert!(
        error.mentions("JWT_ISSUER") && error.mentions("JWT_VERIFICATION_KEYS"),
        "{error}"
    );
}

#[test]
fn a_key_of_another_curve_in_a_key_set_is_refused_on_either_backend() {
    // aws-lc checks an EC key only when a signature verifies: the curve is checked first.
    let es384 = load_jwt(
        &hs256("production", "auth")
            .with("JWT_ALGORITHM", "ES384")
            .with("JWT_PUBLIC_KEY", key("ec384_public"))
            .with("JWT_PRIVATE_KEY", key("ec384_private")),
    );
    // Without `alg`, so that only the key's curve can tell.
    let mut published = serde_json::to_value(es384.jwks()).unwrap();
    published["keys"][0].as_object_mut().unwrap().remove("alg");
    let published = published.to_string();
    let error = JwtConfig::from_source(
        &hs256("production", "backend")
            .with("JWT_ALGORITHM", "ES256")
            .with("JWT_VERIFICATION_KEYS", published),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("is not an EC P-256 key"),
        "{error}"
    );
}
