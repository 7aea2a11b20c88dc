//! When two services agree on keys: the one rule that `jwt-config diff`, `jwt-config audit`
//! and a running receiver apply. Key material is compared by what it does, never by value: a
//! service agrees with another when it verifies what the other signs (tokens), and when, as a
//! receiver that allows the other's calls, it verifies the key those calls are signed with. A
//! rotation in progress, where each side verifies what the other signs, is agreement.

use super::{KeyInfo, vars};

/// What a service holds of keys, as agreement needs it: ids, roles and fingerprints, never
/// material ([`JwtConfig::key_view`](crate::JwtConfig::key_view)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyView {
    /// `SERVICE_ID`.
    pub service_id: String,
    /// The keys of access and refresh tokens ([`JwtConfig::keys`](crate::JwtConfig::keys)).
    pub token_keys: Vec<KeyInfo>,
    /// The keys of service calls
    /// ([`JwtConfig::service_call_keys`](crate::JwtConfig::service_call_keys)); empty where
    /// service authentication is off.
    pub service_call_keys: Vec<KeyInfo>,
    /// `SERVICE_ALLOWED_CALLERS`; `None` allows every caller.
    pub allowed_callers: Option<Vec<String>>,
}

impl KeyView {
    /// A view of these keys (for a receiver comparing a caller's advertised keys).
    pub fn new(
        service_id: impl Into<String>,
        token_keys: Vec<KeyInfo>,
        service_call_keys: Vec<KeyInfo>,
        allowed_callers: Option<Vec<String>>,
    ) -> Self {
        KeyView {
            service_id: service_id.into(),
            token_keys,
            service_call_keys,
            allowed_callers,
        }
    }

    /// Whether this service, as a receiver, accepts calls from `caller`.
    pub fn allows(&self, caller: &str) -> bool {
        self.allowed_callers
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|a| a == caller))
    }

    /// Whether two services hold the same keys in the same roles and allow the same callers,
    /// whatever their ids: what they agree with, they agree with alike. A key without a
    /// fingerprint is never known to be the same as another.
    pub fn same_keys(&self, other: &KeyView) -> bool {
        let same = |a: &[KeyInfo], b: &[KeyInfo]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| {
                    x.fingerprint.is_some()
                        && (x.signs, x.verifies, &x.id, &x.fingerprint)
                            == (y.signs, y.verifies, &y.id, &y.fingerprint)
                })
        };
        same(&self.token_keys, &other.token_keys)
            && same(&self.service_call_keys, &other.service_call_keys)
            && self.allowed_callers == other.allowed_callers
    }

    /// Whether it signs access and refresh tokens.
    pub fn signs_tokens(&self) -> bool {
        self.token_keys.iter().any(|k| k.signs)
    }
}

/// What a service lacks to accept what another signs, or why two services cannot both
/// accept the same tokens. [`KeyGap::explain`] says it with the variables and the fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyGap {
    /// The verifier does not accept the token key the signer signs with.
    TokenKey {
        /// The signer's key.
        key: KeyInfo,
        /// The same key (same fingerprint) held by the verifier under another id.
        held_as: Option<KeyInfo>,
    },
    /// Neither signs tokens, and no key of one verifies with the other: at most one of them
    /// accepts the issuer's tokens.
    NoCommonTokenKey {
        /// The variables holding the first service's keys.
        first: Vec<&'static str>,
        /// The variables holding the second's.
        second: Vec<&'static str>,
    },
    /// The receiver allows the caller's calls but does not verify the key they are signed
    /// with.
    ServiceKey {
        /// The caller's signing key.
        key: KeyInfo,
        /// The same key held by the receiver under another id.
        held_as: Option<KeyInfo>,
        /// The receiver holds the key but refuses it (a shared secret where callers have
        /// keys of their own).
        refused: bool,
    },
    /// The receiver authenticates calls and allows the caller's, but the caller signs none.
    NoServiceToken,
    /// Both hold a key of this id, but one of them has no fingerprint (a secret shorter than
    /// 32 bytes, which would confirm guesses): whether it is the same key cannot be told
    /// without showing it, so it is not taken for agreement.
    Unconfirmed {
        /// The signer's key.
        key: KeyInfo,
        /// Of service calls rather than tokens.
        service_call: bool,
    },
}

/// Whether `keys` accept tokens signed with `key`.
/// Proved only by the same id and the same fingerprint: a key without one (a secret shorter
/// than 32 bytes) is never taken for agreement.
fn accepts(keys: &[KeyInfo], key: &KeyInfo) -> bool {
    keys.iter().any(|k| {
        k.verifies && k.id == key.id && k.fingerprint.is_some() && k.fingerprint == key.fingerprint
    })
}

/// Whether `keys` hold a key of `key`'s id that cannot be compared with it: one of the two has
/// no fingerprint.
fn unconfirmed(keys: &[KeyInfo], key: &KeyInfo) -> bool {
    keys.iter().any(|k| {
        k.verifies && k.id == key.id && (k.fingerprint.is_none() || key.fingerprint.is_none())
    })
}

/// A key of `keys` with the same material as `key` under another id.
fn held_as(keys: &[KeyInfo], key: &KeyInfo) -> Option<KeyInfo> {
    keys.iter()
        .find(|k| k.id != key.id && key.fingerprint.is_some() && k.fingerprint == key.fingerprint)
        .cloned()
}

/// What `verifier` lacks of what `signer` signs: each token key the signer signs with that
/// the verifier does not accept, and, where the verifier as a receiver allows the signer's
/// calls, the key of those calls.
pub fn key_gaps(signer: &KeyView, verifier: &KeyView) -> Vec<KeyGap> {
    let mut gaps = token_gaps(signer, verifier);
    gaps.extend(service_call_gap(signer, verifier));
    gaps
}

/// The token part of [`key_gaps`]: each token key `signer` signs with that `verifier` does not
/// accept.
pub fn token_gaps(signer: &KeyView, verifier: &KeyView) -> Vec<KeyGap> {
    signer
        .token_keys
        .iter()
        .filter(|key| key.signs && !accepts(&verifier.token_keys, key))
        .map(|key| {
            if unconfirmed(&verifier.token_keys, key) {
                return KeyGap::Unconfirmed {
                    key: key.clone(),
                    service_call: false,
                };
            }
            KeyGap::TokenKey {
                key: key.clone(),
                held_as: held_as(&verifier.token_keys, key),
            }
        })
        .collect()
}

/// The service-call part of [`key_gaps`]: `receiver` allows `caller` and authenticates calls,
/// so it must verify the key the caller signs them with.
pub fn service_call_gap(caller: &KeyView, receiver: &KeyView) -> Option<KeyGap> {
    if receiver.service_call_keys.is_empty() || !receiver.allows(&caller.service_id) {
        return None;
    }
    let Some(key) = caller.service_call_keys.iter().find(|k| k.signs) else {
        return Some(KeyGap::NoServiceToken);
    };
    if accepts(&receiver.service_call_keys, key) {
        return None;
    }
    if unconfirmed(&receiver.service_call_keys, key) {
        return Some(KeyGap::Unconfirmed {
            key: key.clone(),
            service_call: true,
        });
    }
    let refused = receiver
        .service_call_keys
        .iter()
        .any(|k| !k.verifies && k.same_key(key));
    Some(KeyGap::ServiceKey {
        key: key.clone(),
        held_as: held_as(&receiver.service_call_keys, key).filter(|_| !refused),
        refused,
    })
}

/// Two services that sign no tokens: a gap where they accept no token key in common (two
/// different `JWT_PUBLIC_KEY`s), since the issuer signs with one key.
pub fn common_token_key_gap(first: &KeyView, second: &KeyView) -> Option<KeyGap> {
    if first.signs_tokens() || second.signs_tokens() {
        return None;
    }
    let (a, b) = (verifying_token_keys(first), verifying_token_keys(second));
    if a.is_empty() || b.is_empty() || a.iter().any(|k| accepts(&second.token_keys, k)) {
        return None;
    }
    let variables = |keys: &[&KeyInfo]| {
        let mut names: Vec<&'static str> = keys.iter().map(|k| k.variable).collect();
        names.dedup();
        names
    };
    Some(KeyGap::NoCommonTokenKey {
        first: variables(&a),
        second: variables(&b),
    })
}

fn verifying_token_keys(view: &KeyView) -> Vec<&KeyInfo> {
    view.token_keys.iter().filter(|k| k.verifies).collect()
}

impl KeyGap {
    /// The gap in words, naming the variables on each side and how to fix it: the same
    /// value, or a rotation. `signer` and `verifier` name the two services (for
    /// [`KeyGap::NoCommonTokenKey`], the first and the second).
    pub fn explain(&self, signer: &str, verifier: &str) -> String {
        match self {
            KeyGap::TokenKey {
                key,
                held_as: Some(held),
            } => format!(
                "{verifier} holds the key {signer} signs tokens with, as its {}, but names it {} where {signer} names it {}: make JWT_KEY_ID agree (set it to {} on {verifier}, or unset it on both)",
                held.variable, held.id, key.id, key.id
            ),
            KeyGap::TokenKey { key, held_as: None } => {
                let fix = if key.variable == vars::SECRET_KEY {
                    format!(
                        "set {verifier}'s JWT_SECRET_KEY to the same value as {signer}'s, or, for a rotation, add the key to {verifier}'s JWT_VERIFICATION_KEYS (an oct key with kid {})",
                        key.id
                    )
                } else {
                    format!(
                        "set {verifier}'s JWT_PUBLIC_KEY to {signer}'s public key, or, for a rotation, add it to {verifier}'s JWT_VERIFICATION_KEYS (kid {}; `jwt-config keys --jwks` on {signer}'s env file prints it)",
                        key.id
                    )
                };
                format!(
                    "{verifier} cannot verify what {signer} signs (key {}), held in {signer}'s {}: {fix}",
                    key.id, key.variable
                )
            }
            KeyGap::NoCommonTokenKey { first, second } => format!(
                "{signer} ({}) and {verifier} ({}) verify tokens with no key in common: at most one of them accepts the issuer's tokens; give both the issuer's key",
                first.join(", "),
                second.join(", ")
            ),
            KeyGap::ServiceKey {
                key, refused: true, ..
            } => format!(
                "{verifier} refuses the shared SERVICE_SECRET that {signer} signs its calls with (it knows callers' own keys): give {signer} a SERVICE_PRIVATE_KEY and its public key to {verifier}'s SERVICE_VERIFICATION_KEYS, or set SERVICE_ACCEPT_SHARED_SECRET=true on {verifier} during the migration (key {})",
                key.id
            ),
            KeyGap::ServiceKey {
                key,
                held_as: Some(held),
                ..
            } => format!(
                "{verifier} holds the key {signer} signs its calls with, as its {}, but names it {} where {signer} names it {}: make SERVICE_KEY_ID agree",
                held.variable, held.id, key.id
            ),
            KeyGap::ServiceKey { key, .. } => {
                let fix = if key.variable == vars::SERVICE_SECRET {
                    format!(
                        "set {verifier}'s SERVICE_SECRET to the same value as {signer}'s, or, for a rotation, add the key to {verifier}'s SERVICE_VERIFICATION_KEYS (an oct key with kid {})",
                        key.id
                    )
                } else {
                    format!(
                        "add {signer}'s public key (kid {}) to {verifier}'s SERVICE_VERIFICATION_KEYS",
                        key.id
                    )
                };
                format!(
                    "{verifier} allows calls from {signer} but cannot verify them (key {}), held in {signer}'s {}: {fix}",
                    key.id, key.variable
                )
            }
            KeyGap::Unconfirmed { key, .. } => format!(
                "{verifier} and {signer} both hold a key named {} ({}), but one of them is shorter than 32 bytes and has no fingerprint: whether they are the same key cannot be told without showing it; use keys of at least 32 bytes (as staging and production require)",
                key.id, key.variable
            ),
            KeyGap::NoServiceToken => format!(
                "{verifier} authenticates service calls and allows {signer}'s, but {signer} signs none (no SERVICE_SECRET or SERVICE_PRIVATE_KEY): set one on {signer}"
            ),
        }
    }

    /// The id of the key concerned, where one is.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            KeyGap::TokenKey { key, .. }
            | KeyGap::ServiceKey { key, .. }
            | KeyGap::Unconfirmed { key, .. } => Some(&key.id),
            _ => None,
        }
    }

    /// Whether the gap concerns service calls rather than access and refresh tokens.
    pub fn is_service_call(&self) -> bool {
        matches!(
            self,
            KeyGap::ServiceKey { .. }
                | KeyGap::NoServiceToken
                | KeyGap::Unconfirmed {
                    service_call: true,
                    ..
                }
        )
    }
}

/// Hex digits of a key's fingerprint a service token advertises: enough to tell keys apart,
/// short enough for a header; an HMAC key's fingerprint is keyed by the key, so it confirms
/// no guess.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
const ADVERTISED_HEX: usize = 8;
/// At most this many keys are advertised, or read from a caller's token.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) const MAX_ADVERTISED: usize = 16;

/// At most this many characters of a key's id are advertised, and compared.
const ADVERTISED_ID_CHARS: usize = 64;

/// A key's role as a service token advertises it: tokens `s` (signs and verifies) or `v`
/// (verifies); service calls `S` (signs and verifies), `X` (signs, refused as a receiver) or
/// `V` (verifies).
fn role(key: &KeyInfo, service_call: bool) -> &'static str {
    match (service_call, key.signs, key.verifies) {
        (false, true, _) => "s",
        (false, false, _) => "v",
        (true, true, true) => "S",
        (true, true, false) => "X",
        (true, false, _) => "V",
    }
}

/// Keys as a service token carries them (claim `cfgk`): the role (see [`role`]), a short
/// fingerprint (`-` where the key has none), and the id, separated by `:`.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) fn advertised(token_keys: &[KeyInfo], service_call_keys: &[KeyInfo]) -> Vec<String> {
    let tokens = token_keys.iter().map(|k| (k, false));
    let calls = service_call_keys.iter().map(|k| (k, true));
    tokens
        .chain(calls)
        .filter(|(k, _)| k.signs || k.verifies)
        .take(MAX_ADVERTISED)
        .map(|(k, service_call)| {
            let fingerprint = k
                .fingerprint
                .as_deref()
                .map_or("-", |f| f.get(..ADVERTISED_HEX).unwrap_or(f));
            let id: String = k.id.chars().take(ADVERTISED_ID_CHARS).collect();
            format!("{}:{fingerprint}:{id}", role(k, service_call))
        })
        .collect()
}

/// A caller's advertised keys, read back: its token keys and its service-call keys, at most
/// 16 in all, ids cut to 64 characters; what does not parse is left out.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) fn read_advertised(entries: &[String]) -> (Vec<KeyInfo>, Vec<KeyInfo>) {
    let mut keys = (Vec::new(), Vec::new());
    for entry in entries.iter().take(MAX_ADVERTISED) {
        let Some((role, rest)) = entry.split_once(':') else {
            continue;
        };
        let Some((fingerprint, id)) = rest.split_once(':') else {
            continue;
        };
        let (service_call, signs, verifies) = match role {
            "s" => (false, true, true),
            "v" => (false, false, true),
            "S" => (true, true, true),
            "X" => (true, true, false),
            "V" => (true, false, true),
            _ => continue,
        };
        let key = KeyInfo {
            id: id.chars().take(ADVERTISED_ID_CHARS).collect(),
            kind: "a key a caller advertised",
            key_type: "unknown",
            signs,
            verifies,
            variable: "",
            fingerprint: (fingerprint != "-")
                .then(|| fingerprint.chars().take(ADVERTISED_HEX).collect()),
        };
        if service_call {
            keys.1.push(key);
        } else {
            keys.0.push(key);
        }
    }
    keys
}

/// An advertised entry as a receiver keeps it until [`read_advertised`] reads it: unchanged
/// when it is no longer than an entry of this crate (every honest caller's), else its fields
/// cut as `read_advertised` cuts them (an entry that cannot parse kept empty), so that it
/// reads the same and a caller cannot make a receiver keep more.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) fn kept_advertised(entry: String) -> String {
    // A role, a fingerprint and an id, two colons; an id's character is at most 4 bytes.
    const LONGEST: usize = 1 + 1 + ADVERTISED_HEX + 1 + 4 * ADVERTISED_ID_CHARS;
    if entry.len() <= LONGEST {
        return entry;
    }
    let Some((role, rest)) = entry.split_once(':') else {
        return String::new();
    };
    let Some((fingerprint, id)) = rest.split_once(':') else {
        return String::new();
    };
    if role.len() != 1 {
        return String::new();
    }
    let fingerprint: String = fingerprint.chars().take(ADVERTISED_HEX).collect();
    let id: String = id.chars().take(ADVERTISED_ID_CHARS).collect();
    format!("{role}:{fingerprint}:{id}")
}

/// This service's token keys with fingerprints cut as advertised, to compare with a caller's.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) fn as_advertised(keys: &[KeyInfo]) -> Vec<KeyInfo> {
    keys.iter()
        .map(|k| KeyInfo {
            id: k.id.chars().take(ADVERTISED_ID_CHARS).collect(),
            fingerprint: k
                .fingerprint
                .as_deref()
                .map(|f| f.get(..ADVERTISED_HEX).unwrap_or(f).to_owned()),
            ..k.clone()
        })
        .collect()
}

/// The gaps between this receiver and a caller that advertised its keys, as `diff` would
/// find them between their env files: token keys both ways, and, where the caller accepts
/// calls from this service (`allows_receiver`), whether it verifies this service's calls.
/// The caller's own call verified here, so that direction agrees.
#[cfg_attr(not(feature = "service-auth"), allow(dead_code))] // read by service tokens
pub(crate) fn gaps_with_caller(
    own: &KeyView,
    caller_keys: &(Vec<KeyInfo>, Vec<KeyInfo>),
    allows_receiver: bool,
) -> Vec<KeyGap> {
    let own = KeyView::new(
        own.service_id.clone(),
        as_advertised(&own.token_keys),
        as_advertised(&own.service_call_keys),
        None,
    );
    let caller = KeyView::new("", caller_keys.0.clone(), caller_keys.1.clone(), None);
    let mut gaps = token_gaps(&caller, &own);
    gaps.extend(token_gaps(&own, &caller));
    gaps.extend(common_token_key_gap(&own, &caller));
    if allows_receiver {
        gaps.extend(service_call_gap(&own, &caller));
    }
    gaps
}

#[cfg(all(test, feature = "service-auth"))]
mod tests {
    use super::*;

    #[test]
    fn a_kept_advertised_entry_reads_as_the_entry_it_was_made_of() {
        let long = "x".repeat(300);
        let wide = "\u{e9}".repeat(100);
        let entries = [
            "s:0123abcd:k1".to_owned(),
            "S:-:backend-key".to_owned(),
            format!("v:0123abcd:{long}"),
            format!("V:{long}:k2"),
            format!("X:-:{wide}{long}"),
            format!("s:-{long}:k3"),
            format!("{long}:0123abcd:k4"),
            format!("s{long}"),
            format!("q:{long}:k5"),
        ];
        for entry in entries {
            let kept = kept_advertised(entry.clone());
            assert!(kept.len() <= 1 + 1 + ADVERTISED_HEX + 1 + 4 * ADVERTISED_ID_CHARS);
            assert_eq!(
                read_advertised(std::slice::from_ref(&kept)),
                read_advertised(std::slice::from_ref(&entry)),
                "{entry}"
            );
        }
    }
}
