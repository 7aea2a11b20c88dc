//! Fingerprints: of a schema (a constant, for pinning at compile time) and of a loaded
//! configuration (for two services to compare settings without revealing secrets).

use crate::environment::Environment;
use crate::report::Resolved;
use crate::schema::{Entry, Presence, Schema};

/// The label a secret's HMAC is computed over; fixed, so equal secrets give equal digests.
pub const SECRET_DIGEST_LABEL: &[u8] = b"jwt-config effective fingerprint v2";

/// The shortest secret that gets a digest: RFC 7518's minimum for HS256. A digest keyed by a
/// short (low-entropy) secret would let anyone who reads it test guesses offline, so such a
/// secret gets none: it enters fingerprints as "weak, not compared".
pub const MIN_DIGEST_SECRET_BYTES: usize = 32;

/// HMAC-SHA256 keyed by the secret's text over [`SECRET_DIGEST_LABEL`], in hex. The secret
/// never enters anything else; `None` without the `fingerprint` feature, and for a secret
/// shorter than 32 bytes (RFC 7518's minimum for HS256).
pub fn secret_digest(secret: &str) -> Option<String> {
    if secret.len() < MIN_DIGEST_SECRET_BYTES {
        return None;
    }
    #[cfg(feature = "fingerprint")]
    {
        use hmac::{KeyInit as _, Mac as _};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).ok()?;
        mac.update(SECRET_DIGEST_LABEL);
        Some(hex(&mac.finalize().into_bytes()))
    }
    #[cfg(not(feature = "fingerprint"))]
    {
        let _ = secret;
        None
    }
}

/// The effective fingerprint of a load: SHA-256 over every shared setting's effective value
/// (secrets as their digests), per-service settings left out. Equal settings give equal
/// fingerprints whatever names or files supplied them. Every name and value enters with its
/// length, so no two configurations share an encoding. `None` without the `fingerprint`
/// feature.
pub fn effective_fingerprint(variables: &[Resolved]) -> Option<String> {
    #[cfg(feature = "fingerprint")]
    {
        use sha2::Digest as _;
        let mut entries: Vec<(&str, u8, &str)> = variables
            .iter()
            .filter(|v| !v.per_service)
            .map(|v| {
                let (tag, value) = match (v.secret, &v.rendered, &v.digest) {
                    (_, None, _) => (0, ""),
                    (true, Some(_), Some(digest)) => (1, digest.as_str()),
                    (true, Some(_), None) => (2, ""),
                    (false, Some(value), _) => (1, value.as_str()),
                };
                (v.variable.as_str(), tag, value)
            })
            .collect();
        entries.sort();
        let mut hasher = sha2::Sha256::new();
        for (name, tag, value) in entries {
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update([tag]);
            hasher.update((value.len() as u64).to_le_bytes());
            hasher.update(value.as_bytes());
        }
        Some(format!("jwtcfg2-{}", &hex(&hasher.finalize())[..32]))
    }
    #[cfg(not(feature = "fingerprint"))]
    {
        let _ = variables;
        None
    }
}

#[cfg(feature = "fingerprint")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`, then a separator, so "AB","C" and "A","BC" differ. It must run in a
/// const context (the pin is checked at compile time), which no hashing crate offers.
const fn hash_str(mut hash: u64, text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    (hash ^ 0xff).wrapping_mul(FNV_PRIME)
}

const fn hash_option(hash: u64, text: Option<&str>) -> u64 {
    match text {
        Some(text) => hash_str(hash_str(hash, "some"), text),
        None => hash_str(hash, "none"),
    }
}

/// The schema fingerprint: names, aliases, types, defaults and rules of every variable,
/// flattened children and their prefixes included; docs are not part of it.
pub const fn schema_fingerprint(schema: &Schema) -> u64 {
    hash_schema(FNV_OFFSET, schema)
}

const fn hash_schema(hash: u64, schema: &Schema) -> u64 {
    let mut hash = hash_str(hash_str(hash, "prefix"), schema.prefix);
    if schema.environment_required {
        hash = hash_str(hash, "environment-required");
    }
    let mut i = 0;
    while i < schema.entries.len() {
        hash = match &schema.entries[i] {
            Entry::Var(var) => {
                let mut h = hash_str(hash_str(hash, "var"), var.name);
                let mut a = 0;
                while a < var.aliases.len() {
                    h = hash_str(h, var.aliases[a]);
                    a += 1;
                }
                h = hash_str(h, var.ty);
                h = hash_option(h, var.default);
                h = hash_str(
                    h,
                    match var.presence {
                        Presence::Required => "required",
                        Presence::Optional => "optional",
                        Presence::Defaulted => "defaulted",
                    },
                );
                let mut e = 0;
                while e < var.required_in.len() {
                    h = hash_str(h, Environment::as_str(var.required_in[e]));
                    e += 1;
                }
                if let Some(condition) = var.required_when {
                    h = hash_str(hash_str(h, "required-when"), condition);
                }
                h = hash_str(h, if var.secret { "secret" } else { "plain" });
                h = hash_str(h, if var.file { "file" } else { "no-file" });
                h = hash_option(h, var.range);
                h = hash_str(
                    h,
                    if var.per_service {
                        "per-service"
                    } else {
                        "shared"
                    },
                );
                match var.min_len {
                    Some(n) => hash_str((h ^ n as u64).wrapping_mul(FNV_PRIME), "min_len"),
                    None => h,
                }
            }
            Entry::Flatten(child) => {
                let h = hash_str(hash_str(hash, "flatten"), child.prefix);
                hash_str(hash_schema(h, child.schema), "end")
            }
        };
        i += 1;
    }
    hash
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A schema fingerprint as written in `assert_schema!`: 16 lower-case hex digits.
pub const fn fingerprint_hex(fingerprint: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = HEX[((fingerprint >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

/// Fails compilation when a schema's fingerprint is not the pinned one; the message gives
/// the new fingerprint to pin after review.
pub const fn assert_schema_fingerprint(actual: u64, pinned: &str) {
    let actual_hex = fingerprint_hex(actual);
    let pinned = pinned.as_bytes();
    let mut same = pinned.len() == 16;
    let mut i = 0;
    while same && i < 16 {
        same = pinned[i] == actual_hex[i];
        i += 1;
    }
    if same {
        return;
    }
    let head = b"jwt-config: the schema changed since it was pinned; review the change, then pin its new fingerprint: ";
    let mut message = [0u8; 128];
    let mut n = 0;
    while n < head.len() {
        message[n] = head[n];
        n += 1;
    }
    let mut j = 0;
    while j < 16 {
        message[n + j] = actual_hex[j];
        j += 1;
    }
    let (text, _) = message.split_at(n + 16);
    match core::str::from_utf8(text) {
        Ok(text) => panic!("{}", text),
        Err(_) => panic!("jwt-config: the schema changed since it was pinned"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_render_as_sixteen_hex_digits() {
        assert_eq!(&fingerprint_hex(0x0123_4567_89ab_cdef), b"0123456789abcdef");
        assert_schema_fingerprint(0x0123_4567_89ab_cdef, "0123456789abcdef");
    }

    #[cfg(feature = "fingerprint")]
    fn resolved(variable: &str, value: &str) -> Resolved {
        Resolved {
            variable: variable.to_owned(),
            origin: crate::Origin::Canonical,
            rendered: Some(value.to_owned()),
            secret: false,
            digest: None,
            per_service: false,
            location: None,
        }
    }

    #[cfg(feature = "fingerprint")]
    #[test]
    fn effective_fingerprints_do_not_collide_through_joined_lines() {
        let one = [resolved("A", "1\nB=2")];
        let two = [resolved("A", "1"), resolved("B", "2")];
        assert_ne!(effective_fingerprint(&one), effective_fingerprint(&two));
    }

    #[test]
    fn a_secret_below_the_minimum_gets_no_digest() {
        assert_eq!(secret_digest("short-password"), None);
    }

    #[cfg(feature = "fingerprint")]
    #[test]
    fn a_secret_digest_is_keyed_by_the_secret_and_never_contains_it() {
        let digest = secret_digest("correct horse battery staple, and more words").unwrap();
        assert_eq!(digest.len(), 64);
        assert_ne!(
            digest,
            secret_digest("correct horse battery stapler, and more words").unwrap()
        );
        assert_eq!(
            digest,
            secret_digest("correct horse battery staple, and more words").unwrap()
        );
    }
}
