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
pub(crate) const MIN_DIGEST_SECRET_BYTES: usize = 32;

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

/// How one setting enters fingerprints: its name, whether and how it is set, and its value
/// (a secret's digest, never its text).
#[cfg(feature = "fingerprint")]
fn setting_entry(v: &Resolved) -> (&str, u8, &str) {
    let (tag, value) = match (v.secret, &v.rendered, &v.digest) {
        (_, None, _) => (0, ""),
        (true, Some(_), Some(digest)) => (1, digest.as_str()),
        (true, Some(_), None) => (2, ""),
        (false, Some(value), _) => (1, value.as_str()),
    };
    (v.variable.as_str(), tag, value)
}

/// Every name and value enters with its length, so no two configurations share an encoding.
#[cfg(feature = "fingerprint")]
fn hash_entry(hasher: &mut sha2::Sha256, (name, tag, value): (&str, u8, &str)) {
    use sha2::Digest as _;
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name.as_bytes());
    hasher.update([tag]);
    hasher.update((value.len() as u64).to_le_bytes());
    hasher.update(value.as_bytes());
}

/// The effective fingerprint of a load: SHA-256 over every shared setting's effective value
/// (secrets as their digests), per-service settings left out. Equal settings give equal
/// fingerprints whatever names or files supplied them. `None` without the `fingerprint`
/// feature.
pub fn effective_fingerprint(variables: &[Resolved]) -> Option<String> {
    #[cfg(feature = "fingerprint")]
    {
        use sha2::Digest as _;
        let mut entries: Vec<(&str, u8, &str)> = variables
            .iter()
            .filter(|v| !v.per_service)
            .map(setting_entry)
            .collect();
        entries.sort();
        let mut hasher = sha2::Sha256::new();
        for entry in entries {
            hash_entry(&mut hasher, entry);
        }
        Some(format!("jwtcfg2-{}", &hex(&hasher.finalize())[..32]))
    }
    #[cfg(not(feature = "fingerprint"))]
    {
        let _ = variables;
        None
    }
}

/// Hex digits of each setting's digest in [`SettingsFingerprint::settings`]: 32 bits, enough
/// to name what changed (a change goes unseen with odds of 2^-32), short enough for a header.
const SETTING_DIGEST_HEX: usize = 8;

/// What a service tells another of its shared settings: the effective fingerprint, and a
/// short digest of each shared setting in schema order, so that a receiver built with the
/// same schema can name the settings that differ. Digests only: a secret enters as its
/// HMAC digest (or not at all when it is too short to have one), never as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsFingerprint {
    fingerprint: String,
    schema: String,
    /// Each shared setting's name and digest, in schema order.
    settings: Vec<(String, String)>,
    /// The names of the settings the schema marks as key material.
    key_material: Vec<String>,
}

/// How another service's shared settings compare with these.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drift {
    /// The same fingerprint.
    Same,
    /// Another fingerprint; these settings differ.
    Settings(Vec<String>),
    /// Another fingerprint, from a service built with another schema of the settings
    /// (another version of the crate that declares them): it cannot say which.
    OtherSchema,
    /// Another fingerprint, without digests that name a setting (an older caller, or
    /// digests that were cut or altered).
    Unnamed,
}

impl SettingsFingerprint {
    /// The shared settings of `chosen` (each variable under its name in the schema, which
    /// may lack the prefix it was loaded under; schema order), with the schema's fingerprint
    /// (16 hex digits). Digests are over the schema's names, so that a service that reads
    /// the settings under a prefix agrees with one that does not; the settings are listed
    /// under the names this service reads. `None` without the `fingerprint` feature.
    pub(crate) fn of(chosen: &[(&str, &Resolved)], schema: String) -> Option<Self> {
        let shared: Vec<&(&str, &Resolved)> =
            chosen.iter().filter(|(_, v)| !v.per_service).collect();
        let canonical: Vec<Resolved> = shared
            .iter()
            .map(|(name, v)| Resolved {
                variable: (*name).to_owned(),
                ..(*v).clone()
            })
            .collect();
        let fingerprint = effective_fingerprint(&canonical)?;
        let settings = canonical
            .iter()
            .zip(&shared)
            .filter_map(|(v, (_, read))| Some((read.variable.clone(), setting_digest(v)?)))
            .collect();
        let key_material = shared
            .iter()
            .filter(|(_, read)| read.key_material)
            .map(|(_, read)| read.variable.clone())
            .collect();
        Some(SettingsFingerprint {
            fingerprint,
            schema,
            settings,
            key_material,
        })
    }

    /// Whether the setting of this name (as this service reads it) is key material, which
    /// services compare by key agreement rather than by value.
    pub fn is_key_material(&self, name: &str) -> bool {
        self.key_material.iter().any(|k| k == name)
    }

    /// The effective fingerprint (`jwtcfg2-` and 32 hex digits).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The per-setting digests as one string: the schema's fingerprint, a dot, then
    /// 8 hex digits a setting in schema order. What a service token carries beside the
    /// fingerprint.
    pub fn settings(&self) -> String {
        let mut text =
            String::with_capacity(self.schema.len() + 1 + self.settings.len() * SETTING_DIGEST_HEX);
        text.push_str(&self.schema);
        text.push('.');
        for (_, digest) in &self.settings {
            text.push_str(digest);
        }
        text
    }

    /// Compares another service's fingerprint and, when it sent them, its per-setting
    /// digests ([`SettingsFingerprint::settings`]) with these.
    pub fn compare(&self, fingerprint: &str, settings: Option<&str>) -> Drift {
        if fingerprint == self.fingerprint {
            return Drift::Same;
        }
        let names: Vec<&str> = self
            .settings
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        compare_settings(&names, &self.settings(), settings)
    }

    /// The names of the settings, in the order of their digests (as this service reads them).
    pub fn setting_names(&self) -> Vec<&str> {
        self.settings
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// The one rule that names differing settings: two per-setting digest strings
/// ([`SettingsFingerprint::settings`]) of one schema, compared digest by digest, each named by
/// `names` (the first service's, in digest order). What a receiver compares a caller's token
/// with, and what `jwt-config status` compares two services' health documents with.
pub fn compare_settings(names: &[&str], ours: &str, theirs: Option<&str>) -> Drift {
    let Some((schema, digests)) = theirs.and_then(|s| s.split_once('.')) else {
        return Drift::Unnamed;
    };
    let Some((our_schema, our_digests)) = ours.split_once('.') else {
        return Drift::Unnamed;
    };
    if schema != our_schema {
        return Drift::OtherSchema;
    }
    if digests.len() != our_digests.len()
        || digests.len() != names.len() * SETTING_DIGEST_HEX
        || !digests.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Drift::Unnamed;
    }
    let differing: Vec<String> = names
        .iter()
        .zip(our_digests.as_bytes().chunks(SETTING_DIGEST_HEX))
        .zip(digests.as_bytes().chunks(SETTING_DIGEST_HEX))
        .filter(|((_, ours), theirs)| ours != theirs)
        .map(|((name, _), _)| (*name).to_owned())
        .collect();
    if differing.is_empty() {
        Drift::Unnamed
    } else {
        Drift::Settings(differing)
    }
}

/// One setting's digest: the first 32 bits of SHA-256 over its entry, in hex.
fn setting_digest(v: &Resolved) -> Option<String> {
    #[cfg(feature = "fingerprint")]
    {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hash_entry(&mut hasher, setting_entry(v));
        Some(hex(&hasher.finalize())[..SETTING_DIGEST_HEX].to_owned())
    }
    #[cfg(not(feature = "fingerprint"))]
    {
        let _ = v;
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
pub(crate) const fn schema_fingerprint(schema: &Schema) -> u64 {
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
            key_material: false,
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

    #[cfg(feature = "fingerprint")]
    fn settings(pairs: &[(&str, &str)]) -> SettingsFingerprint {
        let variables: Vec<Resolved> = pairs.iter().map(|(n, v)| resolved(n, v)).collect();
        let chosen: Vec<(&str, &Resolved)> =
            pairs.iter().map(|(n, _)| *n).zip(&variables).collect();
        SettingsFingerprint::of(&chosen, "0123456789abcdef".to_owned()).unwrap()
    }

    #[cfg(feature = "fingerprint")]
    #[test]
    fn settings_fingerprints_name_what_differs() {
        let ours = settings(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let theirs = settings(&[("A", "1"), ("B", "20"), ("C", "30")]);
        assert_eq!(
            ours.fingerprint(),
            effective_fingerprint(&[resolved("C", "3"), resolved("A", "1"), resolved("B", "2")])
                .unwrap()
        );
        assert_eq!(ours.settings().len(), 16 + 1 + 3 * 8);
        let compare = |other: &SettingsFingerprint| {
            ours.compare(other.fingerprint(), Some(&other.settings()))
        };
        assert_eq!(compare(&ours.clone()), Drift::Same);
        assert_eq!(
            compare(&theirs),
            Drift::Settings(vec!["B".to_owned(), "C".to_owned()])
        );
        // Another schema, nothing sent, or digests cut or altered: a difference, unnamed.
        let other_schema = theirs.settings().replacen("0123", "4567", 1);
        assert_eq!(
            ours.compare(theirs.fingerprint(), Some(&other_schema)),
            Drift::OtherSchema
        );
        assert_eq!(ours.compare(theirs.fingerprint(), None), Drift::Unnamed);
        let cut = &theirs.settings()[..20];
        assert_eq!(
            ours.compare(theirs.fingerprint(), Some(cut)),
            Drift::Unnamed
        );
        let altered = format!("{}zz", &theirs.settings()[..39]);
        assert_eq!(
            ours.compare(theirs.fingerprint(), Some(&altered)),
            Drift::Unnamed
        );
        assert_eq!(
            ours.compare(theirs.fingerprint(), Some(&ours.settings())),
            Drift::Unnamed
        );
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
