//! `keys new`: a new key from the operating system's random source, printed in the forms its
//! variables take. A service's own key is a PKCS#8 PEM (`SERVICE_PRIVATE_KEY`) and its public
//! JWK, derived by jsonwebtoken exactly as `JwtConfig::service_jwk` derives it; an `oct` key
//! is the value of `JWT_SECRET_KEY` / `SERVICE_SECRET` (`base64:`) and its JWK Set, quoted for
//! an env file. The secret goes to standard output or to the new file of `--out`, nowhere else.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use jwt_config::jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, OctetKeyParameters, OctetKeyType,
};
use jwt_config::jsonwebtoken::{Algorithm, EncodingKey};
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
use serde::Serialize;
use zeroize::Zeroizing;

use super::keys_bundle::manifest;
use super::report::{clean, to_json};
use super::{Outcome, UsageError};
use crate::EXIT_OK;
use crate::args::{Format, KeysNewArgs, ServiceKeyAlgorithm};

/// A new key, as both outputs show it.
#[derive(Serialize)]
struct NewKey {
    /// Its `kid`: the service's id, or `--kid`.
    kid: String,
    /// `EdDSA`, `ES256` or `HS256`.
    algorithm: &'static str,
    /// The variables the secret is the value of.
    secret_for: &'static str,
    /// The secret (PEM, or `base64:` and the key); `None` once written to `--out`.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "exposed")]
    secret: Option<Zeroizing<String>>,
    /// The file the secret was written to.
    #[serde(skip_serializing_if = "Option::is_none")]
    written_to: Option<String>,
    /// The key's JWK: the public half of a service key, the whole of an `oct` key.
    jwk: Jwk,
    /// Its JWK Set as an env file's value, in single quotes (an `oct` key's only: a service
    /// key's set comes from `keys bundle`).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "exposed")]
    env_file_value: Option<Zeroizing<String>>,
}

/// The text of a secret this command exists to print.
fn exposed<S: serde::Serializer>(
    value: &Option<Zeroizing<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    value
        .as_ref()
        .map(|text| text.as_str())
        .serialize(serializer)
}

/// `keys new`: makes the key, writes the secret to `--out` if asked, prints the rest.
pub(crate) fn keys_new(args: &KeysNewArgs, out: &mut dyn Write, _err: &mut dyn Write) -> Outcome {
    if let Some(id) = args.service.as_ref().or(args.kid.as_ref())
        && (id.trim() != id || id.is_empty() || id.chars().any(char::is_control))
    {
        let message = format!(
            "the key id {:?} is empty, or has spaces around it or control characters: a `kid` must match SERVICE_ID or SERVICE_KEY_ID exactly",
            clean(id)
        );
        return Err(UsageError::new(message));
    }
    let mut key = match (&args.service, &args.kid) {
        (_, Some(kid)) if args.oct => new_oct_key(kid, usize::from(args.bytes))?,
        (Some(service), _) => new_service_key(service, args.algorithm)?,
        // clap requires `--service` or `--oct --kid`.
        _ => {
            return Err(UsageError::new(
                "give --service NAME or --oct --kid ID".to_owned(),
            ));
        }
    };
    if let Some(path) = &args.out {
        let mut secret = key.secret.take().unwrap_or_default();
        if let Some(name) = &args.secret_name {
            let pem = Zeroizing::new(secret.trim_end().to_owned());
            let mut entries = vec![(jwt_config::vars::SERVICE_PRIVATE_KEY, pem.as_str())];
            // `billing:2` is a key of service billing: the service signs as it only when told.
            if key.kid.contains(':') {
                entries.push((jwt_config::vars::SERVICE_KEY_ID, key.kid.as_str()));
            }
            secret = manifest("Secret", "stringData", name, &entries);
        }
        write_new_file(path, &secret)?;
        key.written_to = Some(path.display().to_string());
    }
    match args.format {
        Format::Json => writeln!(out, "{}", Zeroizing::new(to_json(&key)).as_str())?,
        Format::Text | Format::Markdown | Format::Sarif | Format::Junit => write_text(&key, out)?,
    }
    Ok(EXIT_OK)
}

fn write_text(key: &NewKey, out: &mut dyn Write) -> std::io::Result<()> {
    let jwk = serde_json::to_string(&key.jwk).unwrap_or_default();
    let kid = clean(&key.kid);
    writeln!(
        out,
        "# A new {} key, kid {kid:?}, for {}: keep it secret",
        key.algorithm, key.secret_for
    )?;
    match (&key.secret, &key.written_to) {
        (Some(secret), _) => writeln!(out, "{}", secret.trim_end())?,
        (None, Some(path)) => writeln!(out, "# written to {} (mode 0600)", clean(path))?,
        (None, None) => {}
    }
    match &key.env_file_value {
        Some(value) => {
            writeln!(
                out,
                "# Its JWK Set, quoted for an env file: JWT_VERIFICATION_KEYS or \
                 SERVICE_VERIFICATION_KEYS of every verifier during the rotation (it holds the key)"
            )?;
            writeln!(out, "{}", value.as_str())?;
        }
        None => {
            writeln!(
                out,
                "# Its public JWK, for the SERVICE_VERIFICATION_KEYS of the services {kid} calls \
                 (`jwt-config keys bundle` collects a fleet's):"
            )?;
            writeln!(out, "{jwk}")?;
        }
    }
    Ok(())
}

/// A service's own key: a PKCS#8 PEM, and its public JWK with the service as `kid`.
fn new_service_key(service: &str, algorithm: ServiceKeyAlgorithm) -> Result<NewKey, UsageError> {
    let (pem, algorithm) = match algorithm {
        ServiceKeyAlgorithm::EdDsa => (ed25519_pem()?, Algorithm::EdDSA),
        ServiceKeyAlgorithm::Es256 => (p256_pem()?, Algorithm::ES256),
    };
    let cannot = |_| UsageError::new("the new key cannot be read back by jsonwebtoken".to_owned());
    let encoding = match algorithm {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()),
    }
    .map_err(cannot)?;
    let mut jwk = Jwk::from_encoding_key(&encoding, algorithm).map_err(cannot)?;
    jwk.common.key_id = Some(service.to_owned());
    Ok(NewKey {
        kid: service.to_owned(),
        algorithm: if algorithm == Algorithm::EdDSA {
            "EdDSA"
        } else {
            "ES256"
        },
        secret_for: "SERVICE_PRIVATE_KEY (a Kubernetes Secret, or the file of SERVICE_PRIVATE_KEY_FILE)",
        secret: Some(pem),
        written_to: None,
        jwk,
        env_file_value: None,
    })
}

/// An HMAC key of `bytes` random bytes: `base64:` and the key (URL-safe, as `k` is), and its
/// JWK Set in single quotes for an env file.
fn new_oct_key(kid: &str, bytes: usize) -> Result<NewKey, UsageError> {
    let mut key = Zeroizing::new(vec![0u8; bytes]);
    random(&mut key)?;
    let encoded = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*key));
    let jwk = Jwk {
        common: CommonParameters {
            key_id: Some(kid.to_owned()),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKey(OctetKeyParameters {
            key_type: OctetKeyType::Octet,
            value: encoded.to_string(),
        }),
    };
    let set = JwkSet {
        keys: vec![jwk.clone()],
    };
    // JSON escapes every `'` it holds (there is none outside strings, and a `kid` with one is
    // written `\u0027`), so single quotes keep it whole.
    let json = Zeroizing::new(serde_json::to_string(&set).unwrap_or_default());
    let quoted = Zeroizing::new(format!("'{}'", json.replace('\'', "\\u0027")));
    Ok(NewKey {
        kid: kid.to_owned(),
        algorithm: "HS256",
        secret_for: "JWT_SECRET_KEY or SERVICE_SECRET (or the file of their _FILE variable)",
        secret: Some(Zeroizing::new(format!(
            "{}{}",
            jwt_config::BASE64_PREFIX,
            encoded.as_str()
        ))),
        written_to: None,
        jwk,
        env_file_value: Some(quoted),
    })
}

/// Fills `buffer` from the operating system's random source.
fn random(buffer: &mut [u8]) -> Result<(), UsageError> {
    getrandom::fill(buffer).map_err(|error| {
        UsageError::new(format!(
            "the operating system's random source failed: {error}"
        ))
    })
}

/// A new Ed25519 key as PKCS#8 v1 PEM: the seed alone, the form jsonwebtoken derives the
/// public half from (a v2 document, with the public key, is refused there).
fn ed25519_pem() -> Result<Zeroizing<String>, UsageError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    random(seed.as_mut())?;
    let pair = ed25519::pkcs8::KeypairBytes {
        secret_key: *seed,
        public_key: None,
    };
    let pem = pair.to_pkcs8_pem(LineEnding::LF);
    drop(pair);
    pem.map_err(|_| UsageError::new("cannot encode the new Ed25519 key".to_owned()))
}

/// A new P-256 key as PKCS#8 PEM. A random 32 bytes is a valid scalar but with probability
/// about 2^-32; a bounded retry covers that.
fn p256_pem() -> Result<Zeroizing<String>, UsageError> {
    for _ in 0..8 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random(bytes.as_mut())?;
        if let Ok(key) = p256::SecretKey::from_slice(bytes.as_ref()) {
            return key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|_| UsageError::new("cannot encode the new P-256 key".to_owned()));
        }
    }
    Err(UsageError::new(
        "the operating system's random source gave no valid P-256 key".to_owned(),
    ))
}

/// Writes `secret` to a new file readable by its owner alone; an existing file is refused,
/// never overwritten.
fn write_new_file(path: &Path, secret: &str) -> Result<(), UsageError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let shown = clean(&path.display().to_string()).into_owned();
    let mut file = options.open(path).map_err(|error| {
        let why = if error.kind() == std::io::ErrorKind::AlreadyExists {
            "it exists; keys new never overwrites a file (remove it, or choose another --out)"
                .to_owned()
        } else {
            error.to_string()
        };
        UsageError::new(format!("cannot create {shown}: {why}"))
    })?;
    let text = Zeroizing::new(format!("{}\n", secret.trim_end()));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| UsageError::new(format!("cannot write {shown}: {error}")))
}
