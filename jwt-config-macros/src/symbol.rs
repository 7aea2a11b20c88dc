//! The keys `#[config(...)]` accepts.

pub const CONFIG: &str = "config";

pub const ALIAS: &str = "alias";
pub const COMPUTED: &str = "computed";
pub const CRATE: &str = "crate";
pub const DEFAULT: &str = "default";
pub const ENV: &str = "env";
pub const FILE: &str = "file";
pub const FLATTEN: &str = "flatten";
pub const MIN_LEN: &str = "min_len";
pub const PARSE_WITH: &str = "parse_with";
pub const PER_SERVICE: &str = "per_service";
pub const PREFIX: &str = "prefix";
pub const RANGE: &str = "range";
pub const REQUIRED_IN: &str = "required_in";
pub const REQUIRED_WHEN: &str = "required_when";
pub const REQUIRE_ENVIRONMENT: &str = "require_environment";
pub const SECRET: &str = "secret";
pub const VALIDATE: &str = "validate";

/// Keys accepted on a field, for "did you mean" suggestions.
pub const FIELD_KEYS: &[&str] = &[
    ALIAS,
    COMPUTED,
    DEFAULT,
    ENV,
    FILE,
    FLATTEN,
    MIN_LEN,
    PARSE_WITH,
    PREFIX,
    RANGE,
    REQUIRED_IN,
    REQUIRED_WHEN,
    SECRET,
];

/// Keys accepted on the struct.
pub const CONTAINER_KEYS: &[&str] = &[CRATE, PREFIX, REQUIRE_ENVIRONMENT, VALIDATE];

/// The environments `required_in(...)` may name.
pub const ENVIRONMENTS: &[(&str, &str)] = &[
    ("development", "Development"),
    ("test", "Test"),
    ("staging", "Staging"),
    ("production", "Production"),
];
