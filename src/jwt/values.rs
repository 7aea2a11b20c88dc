//! The value types of the canonical schema: the algorithm, key material and the audience.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::{Algorithm, AlgorithmFamily};
use jwt_config_core::ConfigValue;
use zeroize::Zeroize;

/// `JWT_ALGORITHM`: one of the algorithms jsonwebtoken supports; never `none`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigningAlgorithm(Algorithm);

/// Every accepted name, as written in messages and documentation.
const ALGORITHM_NAMES: [(&str, Algorithm); 12] = [
    ("HS256", Algorithm::HS256),
    ("HS384", Algorithm::HS384),
    ("HS512", Algorithm::HS512),
    ("RS256", Algorithm::RS256),
    ("RS384", Algorithm::RS384),
    ("RS512", Algorithm::RS512),
    ("PS256", Algorithm::PS256),
    ("PS384", Algorithm::PS384),
    ("PS512", Algorithm::PS512),
    ("ES256", Algorithm::ES256),
    ("ES384", Algorithm::ES384),
    ("EdDSA", Algorithm::EdDSA),
];

impl SigningAlgorithm {
    /// HS256, the schema's default.
    pub const HS256: SigningAlgorithm = SigningAlgorithm(Algorithm::HS256);

    /// The jsonwebtoken algorithm.
    pub fn algorithm(self) -> Algorithm {
        self.0
    }

    /// The algorithm of a key built elsewhere (service keys): never `none`, which
    /// jsonwebtoken does not have.
    pub(crate) fn of(algorithm: Algorithm) -> Self {
        SigningAlgorithm(algorithm)
    }

    /// Whether the algorithm uses a shared secret (HS*).
    pub fn is_hmac(self) -> bool {
        self.0.family() == AlgorithmFamily::Hmac
    }

    /// The least HMAC key length, RFC 7518 section 3.2: the hash's output size.
    pub fn min_hmac_key_bytes(self) -> usize {
        match self.0 {
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            _ => 32,
        }
    }

    /// The name as written in `JWT_ALGORITHM` and in a token's header.
    pub fn name(self) -> &'static str {
        ALGORITHM_NAMES
            .iter()
            .find(|(_, a)| *a == self.0)
            .map_or("?", |(name, _)| name)
    }

    /// The key family as an identifier, for programs: `hmac`, `rsa`, `ec_p256`, `ec_p384`,
    /// `ed25519`.
    pub(crate) fn key_type(self) -> &'static str {
        match self.0.family() {
            AlgorithmFamily::Hmac => "hmac",
            AlgorithmFamily::Rsa => "rsa",
            AlgorithmFamily::Ec if self.0 == Algorithm::ES384 => "ec_p384",
            AlgorithmFamily::Ec => "ec_p256",
            AlgorithmFamily::Ed => "ed25519",
        }
    }

    /// The key family in words, for messages: "an RSA key".
    pub(crate) fn key_kind(self) -> &'static str {
        match self.0.family() {
            AlgorithmFamily::Hmac => "a shared secret",
            AlgorithmFamily::Rsa => "an RSA key",
            AlgorithmFamily::Ec if self.0 == Algorithm::ES384 => "an EC P-384 key",
            AlgorithmFamily::Ec => "an EC P-256 key",
            AlgorithmFamily::Ed => "an Ed25519 key",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ConfigValue for SigningAlgorithm {
    fn parse_value(text: &str) -> Result<Self, String> {
        let wanted = text.trim();
        if wanted.eq_ignore_ascii_case("none") {
            return Err("`none` (unsigned tokens) is refused, RFC 8725 section 3.2; choose a signing algorithm such as HS256".to_owned());
        }
        match ALGORITHM_NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
        {
            Some((_, algorithm)) => Ok(SigningAlgorithm(*algorithm)),
            None => {
                let names: Vec<&str> = ALGORITHM_NAMES.iter().map(|(name, _)| *name).collect();
                Err(format!("expected one of {}", names.join(", ")))
            }
        }
    }

    fn render_value(&self) -> String {
        self.name().to_owned()
    }
}

/// An HMAC key: raw text, or `base64:` followed by standard or URL-safe base64, padded or
/// not. The value carries its own encoding, so every service derives the same bytes.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub struct HmacKey(Vec<u8>);

/// The prefix that marks a base64-encoded key.
pub const BASE64_PREFIX: &str = "base64:";

const PAD_INDIFFERENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, PAD_INDIFFERENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, PAD_INDIFFERENT);

impl HmacKey {
    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey({} bytes)", self.0.len())
    }
}

impl ConfigValue for HmacKey {
    fn parse_value(text: &str) -> Result<Self, String> {
        let Some(encoded) = text.strip_prefix(BASE64_PREFIX) else {
            return Ok(HmacKey(text.as_bytes().to_vec()));
        };
        let encoded = encoded.trim();
        let decoded = STANDARD
            .decode(encoded)
            .or_else(|_| URL_SAFE.decode(encoded));
        match decoded {
            Ok(bytes) if !bytes.is_empty() => Ok(HmacKey(bytes)),
            Ok(_) => Err("`base64:` is followed by nothing".to_owned()),
            Err(_) => Err(
                "starts with `base64:` but the rest is not standard or URL-safe base64".to_owned(),
            ),
        }
    }

    fn render_value(&self) -> String {
        jwt_config_core::REDACTED.to_owned()
    }

    /// The key's bytes, whether written raw or as `base64:`, so one key has one digest.
    fn digest_text(&self) -> String {
        match std::str::from_utf8(&self.0) {
            Ok(text) => text.to_owned(),
            Err(_) => format!("{BASE64_PREFIX}{}", STANDARD.encode(&self.0)),
        }
    }
}

/// A PEM document; `\n` written as two characters (as env files often must) becomes a newline.
#[derive(Clone, PartialEq, Eq, Zeroize)]
pub struct Pem(String);

impl Pem {
    /// The PEM text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The label of the first `-----BEGIN ...-----` line: `PUBLIC KEY`, `PRIVATE KEY`, ...
    pub fn label(&self) -> Option<&str> {
        let start = self.0.find("-----BEGIN ")? + "-----BEGIN ".len();
        let end = self.0[start..].find("-----")?;
        Some(&self.0[start..start + end])
    }

    /// The DER the document encodes (its base64 body), if the body is base64.
    pub fn der(&self) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        let body: String = self
            .0
            .lines()
            .filter(|line| !line.starts_with("-----") && !line.contains(':'))
            .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
            .collect();
        STANDARD.decode(body).ok().map(zeroize::Zeroizing::new)
    }

    /// SHA-256 of the DER, 16 hex digits: two keys compare by content, not by label.
    fn content_digest(&self) -> String {
        use sha2::Digest as _;
        let digest = match self.der() {
            Some(der) => sha2::Sha256::digest(&*der),
            None => sha2::Sha256::digest(self.0.as_bytes()),
        };
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Exactly one PEM block and nothing around it: a key followed by text or by a second block
/// is refused rather than read up to its first block.
fn single_pem_block(text: &str) -> Result<(), String> {
    let blocks = text.matches("-----BEGIN ").count();
    if blocks > 1 {
        return Err(format!(
            "holds {blocks} PEM blocks; give exactly one key (no certificate chain, no second key)"
        ));
    }
    let (Some(label_end), true) = (
        text.strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.find("-----")),
        text.ends_with("-----"),
    ) else {
        return Err(
            "expected one PEM document (-----BEGIN ...----- ... -----END ...-----) and nothing before or after it"
                .to_owned(),
        );
    };
    let label = &text["-----BEGIN ".len()..][..label_end];
    if !text.ends_with(&format!("-----END {label}-----")) {
        return Err(format!(
            "expected the document to end with -----END {label}----- and nothing after it"
        ));
    }
    Ok(())
}

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pem({})", self.label().unwrap_or("no label"))
    }
}

impl ConfigValue for Pem {
    fn parse_value(text: &str) -> Result<Self, String> {
        let pem = Pem(text.replace("\\n", "\n").trim().to_owned());
        single_pem_block(&pem.0)?;
        Ok(pem)
    }

    /// The label and a digest of the content, so two different keys never render alike.
    fn render_value(&self) -> String {
        format!(
            "PEM ({}, sha256:{})",
            self.label().unwrap_or("no label"),
            self.content_digest()
        )
    }
}

/// `JWT_AUDIENCE`: the `aud` values, comma-separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience(Vec<String>);

impl Audience {
    /// The values.
    pub fn values(&self) -> &[String] {
        &self.0
    }
}

impl From<&str> for Audience {
    fn from(text: &str) -> Self {
        Audience(text.split(',').map(|item| item.trim().to_owned()).collect())
    }
}

impl ConfigValue for Audience {
    fn parse_value(text: &str) -> Result<Self, String> {
        jwt_config_core::__private::parse_list(text, String::parse_value).map(Audience)
    }

    fn render_value(&self) -> String {
        self.0.join(",")
    }
}

/// `SERVICE_ALLOWED_CALLERS`: who may call a service. Written as the callers' ids
/// (comma-separated), `*` for any authenticated service, or `none` for a service that takes
/// no calls; `*` and `none` stand alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedCallers {
    /// `*`: any service whose call verifies.
    Any,
    /// `none`: no service; every call is refused.
    Nobody,
    /// These services only.
    Only(Vec<String>),
}

impl AllowedCallers {
    /// The callers as a list: `None` for any service, empty for none.
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            AllowedCallers::Any => None,
            AllowedCallers::Nobody => Some(&[]),
            AllowedCallers::Only(ids) => Some(ids),
        }
    }

    /// Whether a service with this id may call.
    pub fn allows(&self, caller: &str) -> bool {
        self.as_list()
            .is_none_or(|ids| ids.iter().any(|id| id == caller))
    }
}

impl fmt::Display for AllowedCallers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowedCallers::Any => f.write_str("*"),
            AllowedCallers::Nobody => f.write_str("none"),
            AllowedCallers::Only(ids) => f.write_str(&ids.join(",")),
        }
    }
}

impl ConfigValue for AllowedCallers {
    fn parse_value(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(AllowedCallers::Any);
        }
        if text.eq_ignore_ascii_case("none") {
            return Ok(AllowedCallers::Nobody);
        }
        let ids = jwt_config_core::__private::parse_list(text, String::parse_value)?;
        if let Some(word) = ids
            .iter()
            .find(|id| *id == "*" || id.eq_ignore_ascii_case("none"))
        {
            return Err(format!(
                "`{word}` stands alone: write the callers' ids (comma-separated), `*` for any authenticated service, or `none`"
            ));
        }
        Ok(AllowedCallers::Only(ids))
    }

    fn render_value(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_are_read_in_any_case_and_none_is_refused_with_its_own_message() {
        assert_eq!(
            SigningAlgorithm::parse_value(" rs256 ")
                .unwrap()
                .algorithm(),
            Algorithm::RS256
        );
        assert_eq!(
            SigningAlgorithm::parse_value("EDDSA").unwrap().name(),
            "EdDSA"
        );
        assert!(
            SigningAlgorithm::parse_value("None")
                .unwrap_err()
                .contains("RFC 8725")
        );
        assert!(
            SigningAlgorithm::parse_value("HS1")
                .unwrap_err()
                .contains("HS256, HS384")
        );
    }

    #[test]
    fn hmac_keys_are_raw_or_base64_in_either_alphabet_padded_or_not() {
        assert_eq!(HmacKey::parse_value("abc").unwrap().as_bytes(), b"abc");
        for encoded in ["base64:+/+/", "base64:-_-_", "base64:YQ", "base64:YQ=="] {
            assert!(HmacKey::parse_value(encoded).is_ok(), "{encoded}");
        }
        assert_eq!(HmacKey::parse_value("base64:YQ").unwrap().as_bytes(), b"a");
        assert!(HmacKey::parse_value("base64:!!").is_err());
    }

    #[test]
    fn escaped_newlines_in_pem_become_newlines() {
        let pem = Pem::parse_value("-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----")
            .unwrap();
        assert_eq!(pem.label(), Some("PUBLIC KEY"));
        assert!(pem.as_str().contains("\nAAAA\n"));
    }

    #[test]
    fn allowed_callers_are_ids_or_a_word_that_stands_alone() {
        assert_eq!(AllowedCallers::parse_value(" * "), Ok(AllowedCallers::Any));
        assert_eq!(
            AllowedCallers::parse_value("None"),
            Ok(AllowedCallers::Nobody)
        );
        let only = AllowedCallers::parse_value("auth, billing").unwrap();
        assert_eq!(
            only.as_list(),
            Some(&["auth".to_owned(), "billing".to_owned()][..])
        );
        assert!(only.allows("auth") && !only.allows("search"));
        assert!(AllowedCallers::Any.allows("search"));
        assert!(!AllowedCallers::Nobody.allows("auth"));
        for wrong in ["auth,*", "none,auth", "auth,,billing", ""] {
            assert!(AllowedCallers::parse_value(wrong).is_err(), "{wrong}");
        }
        assert!(
            AllowedCallers::parse_value("auth,*")
                .unwrap_err()
                .contains("stands alone")
        );
        for written in ["*", "none", "auth,billing"] {
            let parsed = AllowedCallers::parse_value(written).unwrap();
            assert_eq!(parsed.render_value(), written);
        }
    }
}
