//! The keys `#[config(...)]` accepts.

pub(crate) const CONFIG: &str = "config";

pub(crate) const ALIAS: &str = "alias";
pub(crate) const COMPUTED: &str = "computed";
pub(crate) const CRATE: &str = "crate";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const ENV: &str = "env";
pub(crate) const FILE: &str = "file";
pub(crate) const FLATTEN: &str = "flatten";
pub(crate) const INPUT_ONLY: &str = "input_only";
pub(crate) const KEY_MATERIAL: &str = "key_material";
pub(crate) const MIN_LEN: &str = "min_len";
pub(crate) const PARSE_WITH: &str = "parse_with";
pub(crate) const PER_SERVICE: &str = "per_service";
pub(crate) const PREFIX: &str = "prefix";
pub(crate) const RANGE: &str = "range";
pub(crate) const REQUIRED_IN: &str = "required_in";
pub(crate) const REQUIRED_WHEN: &str = "required_when";
pub(crate) const REQUIRE_ENVIRONMENT: &str = "require_environment";
pub(crate) const SECRET: &str = "secret";
pub(crate) const VALIDATE: &str = "validate";

/// Keys that describe how a field's variable is read: meaningless on a `flatten` or
/// `computed` field, which reads none.
pub(crate) const VARIABLE_KEYS: &[&str] = &[
    ALIAS,
    DEFAULT,
    ENV,
    FILE,
    INPUT_ONLY,
    KEY_MATERIAL,
    MIN_LEN,
    PARSE_WITH,
    PER_SERVICE,
    RANGE,
    REQUIRED_IN,
    REQUIRED_WHEN,
    SECRET,
];

/// Keys that say what a field is rather than how a variable is read.
pub(crate) const STRUCTURAL_KEYS: &[&str] = &[COMPUTED, FLATTEN, PREFIX];

/// Keys accepted on a field, for "did you mean" suggestions: the two lists above.
pub(crate) const FIELD_KEYS: &[&str] = &concat::<16>(VARIABLE_KEYS, STRUCTURAL_KEYS);

const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    assert!(a.len() + b.len() == N, "FIELD_KEYS: wrong length");
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[i + j] = b[j];
        j += 1;
    }
    out
}

/// Keys accepted on the struct.
pub(crate) const CONTAINER_KEYS: &[&str] = &[CRATE, PREFIX, REQUIRE_ENVIRONMENT, VALIDATE];

/// The environments `required_in(...)` may name, with their `Environment` variants, in the
/// order of `jwt_config_docs::ENVIRONMENTS` (the one list; a test holds them together).
pub(crate) const ENVIRONMENTS: &[(&str, &str)] = &[
    ("development", "Development"),
    ("test", "Test"),
    ("staging", "Staging"),
    ("production", "Production"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn the_environments_are_the_shared_list() {
        let names: Vec<&str> = super::ENVIRONMENTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, jwt_config_docs::ENVIRONMENTS);
    }
}
