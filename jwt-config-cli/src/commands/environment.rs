//! What `--environment E` means, for every command: it asserts the environment the service
//! runs in, and never stands in for a value the deployed service will not have. `check`
//! supplies it to the files it loads and warns that the service must set it; `audit` and
//! `diff` supply nothing (a pod gets nothing from a flag).

use jwt_config::{Environment, Problem, ProblemKind, Warning, WarningKind, vars};

/// How the `ENVIRONMENT` an input sets compares with `--environment`.
pub(crate) enum Asserted {
    /// Set to the asserted environment (or to a value the schema itself refuses).
    Agrees,
    /// Set to another environment: a problem, never overridden.
    Conflict(Problem),
    /// Not set by the input: the deployed service will not have it.
    NotSet,
}

/// `ENVIRONMENT` as the input sets it (`text`, and where), against `expected`.
pub(crate) fn assert_environment(
    text: Option<&str>,
    place: Option<String>,
    expected: Environment,
) -> Asserted {
    let Some(text) = text else {
        return Asserted::NotSet;
    };
    match text.parse::<Environment>() {
        Ok(found) if found != expected => {
            let place = place.map_or_else(String::new, |l| format!(" in {l}"));
            Asserted::Conflict(Problem::new(
                vars::ENVIRONMENT,
                ProblemKind::Conflict,
                format!("is {found}{place}, but --environment says {expected}; make them agree"),
            ))
        }
        // An unknown value is the schema's problem, reported by the load itself.
        _ => Asserted::Agrees,
    }
}

/// `audit` and `diff`: the problem of a deployed service's `ENVIRONMENT` (`text`, set at
/// `place`) against `expected`, if any. An instance that sets none starts without one,
/// whatever the flag says, unless an object not in the input may set it (`unknown`).
pub(crate) fn assert_deployed(
    text: Option<&str>,
    place: Option<String>,
    expected: Environment,
    unknown: bool,
) -> Option<Problem> {
    match assert_environment(text, place, expected) {
        Asserted::Agrees => None,
        Asserted::Conflict(problem) => Some(problem),
        Asserted::NotSet => (!unknown).then(|| not_set_problem(expected)),
    }
}

/// An instance that sets no `ENVIRONMENT` starts without one, whatever the flag says.
fn not_set_problem(expected: Environment) -> Problem {
    Problem::new(
        vars::ENVIRONMENT,
        ProblemKind::Missing,
        format!(
            "is not set; --environment {expected} asserts it but supplies nothing to the deployed \
             service: set {name}={expected} in its environment (manifest, ConfigMap or env file)",
            name = vars::ENVIRONMENT
        ),
    )
}

/// `check`: the flag supplied the value for this check only.
pub(crate) fn supplied_warning(expected: Environment) -> Warning {
    Warning::new(
        vars::ENVIRONMENT,
        WarningKind::Notice,
        format!(
            "is set by no input; --environment supplies {expected} for this check only: the \
             deployed service must set {name}={expected} itself (a failure under --strict)",
            name = vars::ENVIRONMENT
        ),
    )
}
