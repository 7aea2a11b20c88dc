//! The deployment environment, read once per load from `ENVIRONMENT`.

use std::fmt;
use std::str::FromStr;

/// The variable every load reads first; it is never prefixed.
pub const ENVIRONMENT_VARIABLE: &str = jwt_config_docs::ENVIRONMENT_VARIABLE;

pub(crate) use jwt_config_docs::never_prefixed;

/// Where a service runs; rules such as `required_in(staging, production)` depend on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Environment {
    /// A developer's machine (the default when `ENVIRONMENT` is unset).
    #[default]
    Development,
    /// Automated tests.
    Test,
    /// Pre-production.
    Staging,
    /// Production.
    Production,
}

impl Environment {
    /// Every environment, in order.
    pub const ALL: [Environment; 4] = [
        Environment::Development,
        Environment::Test,
        Environment::Staging,
        Environment::Production,
    ];

    /// The lowercase name, as written in `ENVIRONMENT` and in `required_in(...)`.
    pub const fn as_str(self) -> &'static str {
        jwt_config_docs::ENVIRONMENTS[self as usize]
    }

    /// Staging and production: where strict rules (key lengths, required secrets) apply.
    pub const fn is_deployed(self) -> bool {
        matches!(self, Environment::Staging | Environment::Production)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The accepted values of `ENVIRONMENT`, in words; the one list every message uses.
pub(crate) const ENVIRONMENT_NAMES: &str =
    "development, test, staging, production (any case; dev, stage, prod accepted)";

/// The error of parsing an [`Environment`]; its text lists what is accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected one of {ENVIRONMENT_NAMES}")]
pub struct UnknownEnvironment;

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        const NAMES: [(&str, Environment); 7] = [
            ("development", Environment::Development),
            ("dev", Environment::Development),
            ("test", Environment::Test),
            ("staging", Environment::Staging),
            ("stage", Environment::Staging),
            ("production", Environment::Production),
            ("prod", Environment::Production),
        ];
        let value = crate::value::trim_value(value);
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|(_, environment)| *environment)
            .ok_or(UnknownEnvironment)
    }
}

/// Joins environments as prose: "staging and production".
pub fn describe_environments(environments: &[Environment]) -> String {
    let names: Vec<&str> = environments.iter().map(|e| e.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {}", rest.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_any_case_are_accepted() {
        assert_eq!("PROD".parse(), Ok(Environment::Production));
        assert_eq!(" Stage ".parse(), Ok(Environment::Staging));
        assert_eq!("dev".parse(), Ok(Environment::Development));
        assert_eq!("qa".parse::<Environment>(), Err(UnknownEnvironment));
    }

    #[test]
    fn environments_are_joined_as_prose() {
        let envs = [
            Environment::Test,
            Environment::Staging,
            Environment::Production,
        ];
        assert_eq!(describe_environments(&envs), "test, staging and production");
    }
}
