//! Service-to-service authentication per call, single thread: building the outgoing headers
//! and verifying them, beside jsonwebtoken's own encode and decode of the same token (the
//! floor this is built on). Run: `cargo bench --bench service_auth`.
//!
//! The fingerprinted token (what jwt-config-axum sends) is compared with jsonwebtoken encoding
//! and decoding that very token, its claims `cfg`, `cfgd`, `cfgk` and `cfga` included; the
//! receiver's side includes the drift comparison (`SettingsFingerprint::compare`).
//!
//! `--repeat CASE N` runs one case N times and nothing else, for instruction counts that do
//! not depend on the machine's load: `valgrind --tool=callgrind <bench binary> --repeat
//! headers-fp 20000` (cases: `encode-fp`, `headers-fp`, `decode-fp`, `verify-fp`).

mod support;

use std::hint::black_box;

use jwt_config::SERVICE_TOKEN_TYPE;
use jwt_config::jsonwebtoken::{self, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwt_config::service_auth::{SERVICE_TOKEN_HEADER, VerifyOptions};
use jwt_config::{Config, Drift, JwtConfig, MapSource};
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
        .with("SERVICE_ALLOWED_CALLERS", "*")
}

/// The claims of a fingerprinted service token, as jsonwebtoken alone would sign them (the
/// constant ones borrowed: the cheapest a hand-written caller could do).
#[derive(serde::Serialize)]
struct FingerprintClaimsRef<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
    cfg: &'a str,
    cfgd: &'a str,
    cfgk: &'a [String],
    cfga: bool,
}

/// The same claims as jsonwebtoken alone decodes them.
#[derive(serde::Deserialize)]
struct FingerprintClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: u64,
    exp: u64,
    jti: String,
    cfg: String,
    cfgd: String,
    cfgk: Vec<String>,
    cfga: bool,
}

impl FingerprintClaims {
    /// The claims of `token`, read without verifying (the bench made it).
    fn of(token: &str) -> Self {
        use base64::Engine as _;
        let payload = token.split('.').nth(1).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }
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

/// Runs `case` N times and nothing else when the arguments say `--repeat CASE N`: `None`
/// otherwise, the exit code where they do.
fn repeat_one_case(cases: &mut [(&str, &mut dyn FnMut())]) -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let position = args.iter().position(|a| a == "--repeat")?;
    let (name, count) = (
        args.get(position + 1)?,
        args.get(position + 2)?.parse::<u32>().ok()?,
    );
    let Some((_, run)) = cases.iter_mut().find(|(case, _)| case == name) else {
        return Some(2);
    };
    for _ in 0..count {
        run();
    }
    Some(0)
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
    let fingerprint_of = |id: &str| {
        JwtConfig::load_with_report(&config_source(id))
            .unwrap()
            .settings_fingerprint_of::<JwtConfig>()
            .unwrap()
    };
    let (settings, receiver_settings) = (fingerprint_of("auth"), fingerprint_of("backend"));
    let fingerprinted = auth
        .service_headers_with_fingerprint("backend", &settings)
        .unwrap();
    // The receiver's side: verify, then compare the caller's settings with its own.
    let verify_and_compare = || {
        let call = backend
            .verify_service_call_with(black_box(&fingerprinted), &VerifyOptions::default())
            .unwrap();
        let drift = receiver_settings.compare(
            call.fingerprint.as_deref().unwrap_or_default(),
            call.settings.as_deref(),
        );
        (call, drift)
    };
    assert_eq!(verify_and_compare().1, Drift::Same);

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
    let fingerprinted_token = fingerprinted[SERVICE_TOKEN_HEADER].to_str().unwrap();
    let sent = FingerprintClaims::of(fingerprinted_token);
    assert_eq!((sent.iss.as_str(), sent.sub.as_str()), ("auth", "auth"));
    assert!(sent.iat <= sent.exp && sent.cfga && !sent.cfgk.is_empty());

    let mut encode = || {
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
    };
    let mut outgoing = || {
        black_box(auth.service_headers(black_box("backend")).unwrap());
    };
    let mut decode = || {
        black_box(
            jsonwebtoken::decode::<Claims>(black_box(&token), &decoding, &validation).unwrap(),
        );
    };
    let mut incoming = || {
        black_box(backend.verify_service_call(black_box(&headers)).unwrap());
    };
    let mut one = || {
        black_box(one_key.verify_service_call(black_box(&headers)).unwrap());
    };
    let mut five = || {
        black_box(five_keys.verify_service_call(black_box(&headers)).unwrap());
    };
    let mut encode_fp = || {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = FingerprintClaimsRef {
            iss: &sent.iss,
            sub: &sent.sub,
            aud: black_box("backend"),
            iat: now,
            exp: now + 60,
            jti: format!("{:032x}", u128::from(now)),
            cfg: &sent.cfg,
            cfgd: &sent.cfgd,
            cfgk: &sent.cfgk,
            cfga: sent.cfga,
        };
        black_box(jsonwebtoken::encode(&header, &claims, &encoding).unwrap());
    };
    let mut fp_outgoing = || {
        black_box(
            auth.service_headers_with_fingerprint(black_box("backend"), &settings)
                .unwrap(),
        );
    };
    let mut decode_fp = || {
        let data = jsonwebtoken::decode::<FingerprintClaims>(
            black_box(fingerprinted_token),
            &decoding,
            &validation,
        )
        .unwrap();
        black_box((
            data.claims.iat,
            data.claims.sub,
            data.claims.aud,
            data.claims.jti,
        ));
        black_box((data.claims.cfg, data.claims.cfgd, data.claims.cfgk));
    };
    let mut fp_incoming = || {
        black_box(
            backend
                .verify_service_call_with(black_box(&fingerprinted), &VerifyOptions::default())
                .unwrap(),
        );
    };
    let mut fp_compared = || {
        black_box(verify_and_compare());
    };
    let mut ed_outgoing = || {
        black_box(ed_auth.service_headers(black_box("backend")).unwrap());
    };
    let mut ed_incoming = || {
        black_box(
            ed_backend
                .verify_service_call(black_box(&ed_headers))
                .unwrap(),
        );
    };
    let mut cases: [(&str, &mut dyn FnMut()); 13] = [
        ("encode", &mut encode),
        ("headers", &mut outgoing),
        ("decode", &mut decode),
        ("verify", &mut incoming),
        ("verify-1-key", &mut one),
        ("verify-5-keys", &mut five),
        ("encode-fp", &mut encode_fp),
        ("headers-fp", &mut fp_outgoing),
        ("decode-fp", &mut decode_fp),
        ("verify-fp-only", &mut fp_incoming),
        ("verify-fp", &mut fp_compared),
        ("headers-ed25519", &mut ed_outgoing),
        ("verify-ed25519", &mut ed_incoming),
    ];
    if let Some(code) = repeat_one_case(&mut cases) {
        std::process::exit(code);
    }
    let mut runs: Vec<&mut dyn FnMut()> = cases.into_iter().map(|(_, run)| run).collect();
    let times = measure(ITERATIONS, SAMPLES, &mut runs);
    let [
        encode,
        outgoing,
        decode,
        incoming,
        one,
        five,
        encode_fp,
        fp_outgoing,
        decode_fp,
        fp_incoming,
        fp_compared,
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
        "jsonwebtoken::encode, fingerprint claims (floor)",
        encode_fp,
        encode_fp,
    );
    report("service_headers_with_fingerprint", fp_outgoing, encode_fp);
    report(
        "jsonwebtoken::decode, fingerprint claims (floor)",
        decode_fp,
        decode_fp,
    );
    report(
        "verify_service_call_with of that token",
        fp_incoming,
        decode_fp,
    );
    report(
        "verify_service_call_with + drift comparison",
        fp_compared,
        decode_fp,
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
