//! Service-to-service authentication per call, single thread: building the outgoing headers
//! and verifying them, beside jsonwebtoken's own encode and decode of the same token (the
//! floor this is built on). Run: `cargo bench --bench service_auth`.

mod support;

use std::hint::black_box;

use jwt_config::SERVICE_TOKEN_TYPE;
use jwt_config::jsonwebtoken::{self, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_config::service_auth::{SERVICE_TOKEN_HEADER, VerifyOptions};
use jwt_config::{Config, JwtConfig, MapSource};
use support::{measure, report};

const SERVICE_SECRET: &str = "bench-service-secret-0123456789abcdef012345678";

/// A receiver with `n` more keys in `SERVICE_VERIFICATION_KEYS` (oct, rotating the secret).
fn receiver_with_keys(n: usize) -> JwtConfig {
    use base64::Engine as _;
    let keys: Vec<String> = (0..n)
        .map(|i| {
            let k = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
                "bench-previous-service-secret-{i}-0123456789abcdef"
            ));
            format!(r#"{{"kid":"s{i}","kty":"oct","k":"{k}"}}"#)
        })
        .collect();
    let source = config_source("backend").with(
        "SERVICE_VERIFICATION_KEYS",
        format!(r#"{{"keys":[{}]}}"#, keys.join(",")),
    );
    JwtConfig::from_source(&source).unwrap()
}

fn config(service_id: &str) -> JwtConfig {
    JwtConfig::from_source(&config_source(service_id)).unwrap()
}

fn config_source(service_id: &str) -> MapSource {
    MapSource::new()
        .with("ENVIRONMENT", "production")
        .with(
            "JWT_SECRET_KEY",
            "bench-jwt-secret-key-0123456789abcdef0123456789",
        )
        .with("JWT_ISSUER", "https://auth.example.com")
        .with("JWT_AUDIENCE", "backend")
        .with("SERVICE_ID", service_id)
        .with("SERVICE_SECRET", SERVICE_SECRET)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    jti: String,
}

/// A caller that signs with its own Ed25519 key, and a receiver that knows it.
fn ed25519_pair() -> (JwtConfig, JwtConfig) {
    let key = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/keys/ed25519_private.pem"
    ))
    .unwrap();
    let own = |id: &str| {
        let mut source = config_source(id);
        source.remove("SERVICE_SECRET");
        source.insert("SERVICE_PRIVATE_KEY", key.as_str());
        source
    };
    let caller = JwtConfig::from_source(&own("auth")).unwrap();
    let set = jsonwebtoken::jwk::JwkSet {
        keys: vec![caller.service_jwk().unwrap()],
    };
    let receiver_source = own("backend").with(
        "SERVICE_VERIFICATION_KEYS",
        serde_json::to_string(&set).unwrap(),
    );
    (caller, JwtConfig::from_source(&receiver_source).unwrap())
}

fn main() {
    const ITERATIONS: u32 = 2_000;
    const SAMPLES: usize = 31;
    let (auth, backend) = (config("auth"), config("backend"));
    let (ed_auth, ed_backend) = ed25519_pair();
    let (one_key, five_keys) = (receiver_with_keys(1), receiver_with_keys(5));
    let ed_headers = ed_auth.service_headers("backend").unwrap();
    assert!(ed_backend.verify_service_call(&ed_headers).is_ok());
    let headers = auth.service_headers("backend").unwrap();
    assert!(backend.verify_service_call(&headers).is_ok());
    // With the caller's fingerprint and per-setting digests (what jwt-config-axum sends).
    let settings = JwtConfig::load_with_report(&config_source("auth"))
        .unwrap()
        .settings_fingerprint_of::<JwtConfig>()
        .unwrap();
    let fingerprinted = auth
        .service_headers_with_fingerprint("backend", &settings)
        .unwrap();
    assert!(
        backend
            .verify_service_call_with(&fingerprinted, &VerifyOptions::default())
            .unwrap()
            .settings
            .is_some()
    );

    let encoding = EncodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let decoding = DecodingKey::from_secret(SERVICE_SECRET.as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(SERVICE_TOKEN_TYPE.to_owned());
    // The same token as service_headers makes: its kid, and a jti of the same length.
    let token_header =
        jsonwebtoken::decode_header(headers[SERVICE_TOKEN_HEADER].to_str().unwrap()).unwrap();
    header.kid = token_header.kid;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["backend"]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let token = headers[SERVICE_TOKEN_HEADER].to_str().unwrap().to_owned();

    let times = measure(
        ITERATIONS,
        SAMPLES,
        &mut [
            &mut || {
                let now = jsonwebtoken::get_current_timestamp();
                let claims = Claims {
                    iss: "auth".into(),
                    sub: "auth".into(),
                    aud: "backend".into(),
                    iat: now,
                    exp: now + 60,
                    jti: format!("{:032x}", u128::from(now)),
                };
                black_box(jsonwebtoken::encode(&header, &claims, &encoding).unwrap());
            },
            &mut || {
                black_box(auth.service_headers(black_box("backend")).unwrap());
            },
            &mut || {
                black_box(
                    jsonwebtoken::decode::<Claims>(black_box(&token), &decoding, &validation)
                        .unwrap(),
                );
            },
            &mut || {
                black_box(backend.verify_service_call(black_box(&headers)).unwrap());
            },
            &mut || {
                black_box(one_key.verify_service_call(black_box(&headers)).unwrap());
            },
            &mut || {
                black_box(five_keys.verify_service_call(black_box(&headers)).unwrap());
            },
            &mut || {
                black_box(
                    auth.service_headers_with_fingerprint(black_box("backend"), &settings)
                        .unwrap(),
                );
            },
            &mut || {
                black_box(
                    backend
                        .verify_service_call_with(
                            black_box(&fingerprinted),
                            &VerifyOptions::default(),
                        )
                        .unwrap(),
                );
            },
            &mut || {
                black_box(ed_auth.service_headers(black_box("backend")).unwrap());
            },
            &mut || {
                black_box(
                    ed_backend
                        .verify_service_call(black_box(&ed_headers))
                        .unwrap(),
                );
            },
        ],
    );
    let [
        encode,
        outgoing,
        decode,
        incoming,
        one,
        five,
        fp_outgoing,
        fp_incoming,
        ed_outgoing,
        ed_incoming,
    ] = times[..]
    else {
        unreachable!()
    };
    println!("service token per call, {SAMPLES} samples of {ITERATIONS}, median");
    report("jsonwebtoken::encode (floor)", encode, encode);
    report("JwtConfig::service_headers", outgoing, encode);
    report("jsonwebtoken::decode (floor)", decode, decode);
    report("JwtConfig::verify_service_call", incoming, decode);
    report("verify_service_call, 1 verification key", one, decode);
    report("verify_service_call, 5 verification keys", five, decode);
    report(
        "service_headers_with_fingerprint (claims cfg, cfgd)",
        fp_outgoing,
        encode,
    );
    report(
        "verify_service_call_with of that token",
        fp_incoming,
        decode,
    );
    report(
        "service_headers, own Ed25519 key (vs HS256)",
        ed_outgoing,
        outgoing,
    );
    report(
        "verify_service_call, Ed25519 (vs HS256)",
        ed_incoming,
        incoming,
    );
}
